"""Redeploys the served REST API N times through apigw-proxy's admin API with boto3 (SigV4).

Used by load/run.sh during the wrk run against the HTTP-integration method: every
`create_deployment` swaps the proxy's routes while 64 connections are in flight. Exits non-zero
when any call fails or the stage does not end on the last deployment.

    python3 redeploy.py --endpoint http://127.0.0.1:8081 --count 100 --interval 0.25

Keys: APIGW_ACCESS_KEY_ID / APIGW_SECRET_ACCESS_KEY (default AKIDEXAMPLE / secret, the
proxy's defaults).
"""

import argparse
import os
import sys
import time

import boto3
import botocore.config


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--stage", default="dev")
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--interval", type=float, default=0.25, help="seconds between deployments")
    args = p.parse_args()
    c = boto3.client(
        "apigateway",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ.get("APIGW_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        aws_secret_access_key=os.environ.get("APIGW_SECRET_ACCESS_KEY", "secret"),
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )
    apis = c.get_rest_apis()["items"]
    if len(apis) != 1:
        print(f"redeploy: expected one REST API, found {len(apis)}", file=sys.stderr)
        return 1
    api_id = apis[0]["id"]
    failed, last, started = 0, None, time.monotonic()
    for i in range(args.count):
        try:
            d = c.create_deployment(restApiId=api_id, stageName=args.stage,
                                    description=f"load redeploy {i + 1}")
            if d["ResponseMetadata"]["HTTPStatusCode"] != 201:
                raise RuntimeError(d["ResponseMetadata"])
            last = d["id"]
        except Exception as e:  # count every failure, report them all at the end
            failed += 1
            print(f"redeploy {i + 1}: {type(e).__name__}: {e}", file=sys.stderr)
        time.sleep(args.interval)
    took = time.monotonic() - started
    stage = c.get_stage(restApiId=api_id, stageName=args.stage)
    if last is not None and stage["deploymentId"] != last:
        print(f"redeploy: stage is on {stage['deploymentId']}, expected {last}", file=sys.stderr)
        failed += 1
    print(f"redeploy: {args.count - failed}/{args.count} deployments in {took:.1f} s, "
          f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
