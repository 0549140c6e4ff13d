"""Redeploys the served REST API N times through apigw-proxy's admin API with boto3 (SigV4).

Used by load/run.sh during the wrk run against the HTTP-integration method: every
`create_deployment` swaps the proxy's routes while 64 connections are in flight. Exits non-zero
when any call fails or the stage does not end on the last deployment.

    python3 redeploy.py --endpoint http://127.0.0.1:8081 --count 100 --interval 0.25

With `--batches K` the deployments are split into K batches (as evenly as possible): the script
prints `ready` once its client is set up, then runs one batch per line read from stdin (the
first deployment `--delay` seconds after the line, the next ones `--interval` apart, paced from
the batch's start) and prints `batch K done` after each. load/run.sh starts one batch per
apigw-proxy round, so boto3's start-up never runs during a measurement. Batches not started
before stdin ends count as failed.

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
    p.add_argument("--batches", type=int, default=0,
                   help="split the deployments into this many batches, each started by a line "
                        "on stdin (0: one run, no stdin)")
    p.add_argument("--delay", type=float, default=0.0,
                   help="seconds from a batch's start line to its first deployment")
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

    def deploy(i):
        nonlocal failed, last
        try:
            d = c.create_deployment(restApiId=api_id, stageName=args.stage,
                                    description=f"load redeploy {i + 1}")
            if d["ResponseMetadata"]["HTTPStatusCode"] != 201:
                raise RuntimeError(d["ResponseMetadata"])
            last = d["id"]
        except Exception as e:  # count every failure, report them all at the end
            failed += 1
            print(f"redeploy {i + 1}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)

    if args.batches > 0:
        sizes = [args.count // args.batches + (1 if k < args.count % args.batches else 0)
                 for k in range(args.batches)]
        print("ready", flush=True)
        done = 0
        for k, size in enumerate(sizes):
            if not sys.stdin.readline():
                print(f"redeploy: stdin ended before batch {k + 1}", file=sys.stderr, flush=True)
                failed += args.count - done
                break
            if k == 0:
                started = time.monotonic()
            t0 = time.monotonic() + args.delay
            for j in range(size):
                pause = t0 + j * args.interval - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                deploy(done)
                done += 1
            print(f"batch {k + 1} done", flush=True)
    else:
        for i in range(args.count):
            deploy(i)
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
