//! What the data plane decides once per deployment instead of once per request: a router over
//! the stage's resources, and per method its integration kind, [`MethodTraits`], timeout and
//! backend request template ([`UpstreamPlan`]).

use std::time::Duration;

use apigw_control::{DeployedMethod, Snapshot};
use apigw_mapping::IntegrationKind;

use super::upstream::{BackendHeaders, MethodTraitTable, MethodTraits, UpstreamPlan};
use crate::context;

/// One segment of a resource path template.
#[derive(Debug)]
enum Part {
    Literal(String),
    Param(String),
    /// `{name+}`: the rest of the path (at least one segment); later parts are ignored.
    Greedy(String),
}

/// A resource path and the methods deployed on it.
#[derive(Debug)]
struct Resource {
    parts: Vec<Part>,
    /// How many path parameters a match yields (its `{param}` and `{name+}` parts).
    params: usize,
    /// (HTTP method, index into [`StagePlan::methods`]).
    methods: Vec<(String, usize)>,
}

/// A routed request: the method's index in [`StagePlan::methods`] (the order of
/// [`Snapshot::methods`]) and its path parameters, percent-decoded.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Routed {
    pub(super) index: usize,
    pub(super) path_parameters: Vec<(String, String)>,
}

/// Per deployed method, what the proxy decided at deployment.
#[derive(Debug)]
pub(super) struct MethodPlan {
    /// The resource path and HTTP method, to find the [`DeployedMethod`] again.
    resource_path: String,
    http_method: String,
    pub(super) kind: Option<IntegrationKind>,
    pub(super) traits: MethodTraits,
    /// `timeoutInMillis` (29 s when out of range).
    pub(super) timeout: Duration,
    /// The method has no integration request templates.
    pub(super) no_request_templates: bool,
    /// The backend request of HTTP and HTTP_PROXY integrations.
    pub(super) upstream: Option<UpstreamPlan>,
    /// The method request headers its mapping and `requestParameters` may read besides
    /// those the proxy itself reads (`Accept`, `Content-Type`, `X-Apigw-Explain`); `None`:
    /// any ([`apigw_mapping::CompiledIntegration::request_headers_read`]).
    pub(super) request_headers: Option<Box<[String]>>,
    /// The backend headers its mapping may read; `None`: any.
    pub(super) backend_headers: Option<BackendHeaders>,
}

/// The router and the method plans of one deployed stage.
#[derive(Debug)]
pub(super) struct StagePlan {
    /// Most specific first: per segment from the left, literal beats `{param}` beats
    /// `{proxy+}`; equally specific ones in resource path order (as
    /// [`Snapshot::route`] ranks them).
    resources: Vec<Resource>,
    methods: Vec<MethodPlan>,
}

impl StagePlan {
    /// Plans every method of `snapshot`: `traits` from the stage's export, upstream requests
    /// with the stage's `variables` substituted and `api_id` in their headers.
    pub(super) fn new(
        snapshot: &Snapshot,
        traits: &MethodTraitTable,
        variables: &[(String, String)],
        api_id: &str,
    ) -> StagePlan {
        let mut resources: Vec<(String, Vec<u8>, Resource)> = Vec::new();
        let mut methods = Vec::new();
        for (index, m) in snapshot.methods().enumerate() {
            if resources
                .last()
                .is_none_or(|(p, _, _)| *p != m.resource_path)
            {
                let parts = parse_template(&m.resource_path);
                let rank = parts
                    .iter()
                    .map(|p| match p {
                        Part::Literal(_) => 3,
                        Part::Param(_) => 2,
                        Part::Greedy(_) => 1,
                    })
                    .collect();
                let params = parts
                    .iter()
                    .filter(|p| !matches!(p, Part::Literal(_)))
                    .count();
                let resource = Resource {
                    parts,
                    params,
                    methods: Vec::new(),
                };
                resources.push((m.resource_path.clone(), rank, resource));
            }
            if let Some((_, _, r)) = resources.last_mut() {
                r.methods.push((m.http_method.clone(), index));
            }
            methods.push(plan_method(m, traits, variables, api_id));
        }
        // Stable: equal ranks keep the path order, so the first match is `route`'s choice.
        resources.sort_by(|a, b| b.1.cmp(&a.1));
        StagePlan {
            resources: resources.into_iter().map(|(_, _, r)| r).collect(),
            methods,
        }
    }

    /// The method serving `http_method` on `path` (the request path after the stage): the
    /// most specific resource matching the path, then its exact method or else its `ANY`
    /// (none: no match, as [`Snapshot::route`]).
    pub(super) fn route(&self, http_method: &str, path: &str) -> Option<Routed> {
        let segments = || Segments(path);
        let resource = self
            .resources
            .iter()
            .find(|r| matches(&r.parts, segments()))?;
        let find = |name: &str| {
            resource
                .methods
                .iter()
                .find(|(m, _)| m == name)
                .map(|(_, i)| *i)
        };
        let index = find(http_method).or_else(|| find("ANY"))?;
        let mut path_parameters = Vec::with_capacity(resource.params);
        let mut segs = segments();
        for part in &resource.parts {
            match part {
                Part::Literal(_) => {
                    segs.next();
                }
                Part::Param(name) => {
                    let seg = segs.next().unwrap_or_default();
                    path_parameters.push((name.clone(), context::percent_decode(seg)));
                }
                Part::Greedy(name) => {
                    path_parameters.push((name.clone(), context::percent_decode(&segs.rest())));
                    break;
                }
            }
        }
        Some(Routed {
            index,
            path_parameters,
        })
    }

    /// Gives the backend requests of the plan whose origin is plain HTTP their origin's
    /// connection pool from `pools` (see [`super::pool`]).
    pub(super) fn attach_pools(&mut self, pools: &super::pool::Pools) {
        for m in &mut self.methods {
            if let Some(u) = &mut m.upstream {
                u.attach_pool(pools);
            }
        }
    }

    /// The plan of a routed method.
    pub(super) fn method(&self, index: usize) -> Option<&MethodPlan> {
        self.methods.get(index)
    }

    /// The deployed method of a routed request in `snapshot` (the one this plan was made
    /// from).
    pub(super) fn deployed<'s>(
        &self,
        snapshot: &'s Snapshot,
        index: usize,
    ) -> Option<&'s DeployedMethod> {
        let plan = self.methods.get(index)?;
        // Walking the ordered map is cheaper than its lookup (which allocates its key) for
        // the first few dozen methods.
        let walked = if index < 48 {
            snapshot.methods().nth(index)
        } else {
            None
        };
        walked
            .filter(|m| m.resource_path == plan.resource_path && m.http_method == plan.http_method)
            .or_else(|| snapshot.method(&plan.resource_path, &plan.http_method))
    }
}

/// The non-empty `/`-separated segments of a path.
#[derive(Debug, Clone, Copy)]
struct Segments<'a>(&'a str);

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.0.trim_start_matches('/');
        if rest.is_empty() {
            self.0 = rest;
            return None;
        }
        let end = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
        let (segment, tail) = rest.split_at(end);
        self.0 = tail;
        Some(segment)
    }
}

impl<'a> Segments<'a> {
    /// The remaining segments joined by single slashes (empty ones dropped).
    fn rest(self) -> std::borrow::Cow<'a, str> {
        let trimmed = self.0.trim_matches('/');
        if trimmed.contains("//") {
            std::borrow::Cow::Owned(self.collect::<Vec<_>>().join("/"))
        } else {
            std::borrow::Cow::Borrowed(trimmed)
        }
    }
}

/// Whether the template's parts match the request's segments (as `apigw-control` matches
/// them: a greedy part needs at least one segment and takes the rest).
fn matches<'a>(parts: &[Part], mut segments: impl Iterator<Item = &'a str>) -> bool {
    for part in parts {
        let Some(seg) = segments.next() else {
            return false;
        };
        match part {
            Part::Literal(l) if l != seg => return false,
            Part::Greedy(_) => return true,
            Part::Literal(_) | Part::Param(_) => {}
        }
    }
    segments.next().is_none()
}

/// `/pets/{id}/{proxy+}` → its parts (empty segments dropped); parts after a greedy one are
/// dropped too (they can never match anything).
fn parse_template(template: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    for part in template.split('/').filter(|s| !s.is_empty()) {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            parts.push(Part::Greedy(name.to_owned()));
            break;
        }
        parts.push(
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => Part::Param(name.to_owned()),
                None => Part::Literal(part.to_owned()),
            },
        );
    }
    parts
}

fn plan_method(
    m: &DeployedMethod,
    traits: &MethodTraitTable,
    variables: &[(String, String)],
    api_id: &str,
) -> MethodPlan {
    let kind = IntegrationKind::from_aws(&m.integration_type, m.uri.as_deref());
    let upstream = matches!(
        kind,
        Some(IntegrationKind::Http | IntegrationKind::HttpProxy)
    )
    .then(|| UpstreamPlan::new(m, variables, api_id));
    MethodPlan {
        resource_path: m.resource_path.clone(),
        http_method: m.http_method.clone(),
        kind,
        traits: traits
            .get(&m.resource_path)
            .and_then(|ms| ms.get(&m.http_method))
            .copied()
            .unwrap_or(MethodTraits {
                body_untouched: false,
                reads_context: true,
            }),
        timeout: Duration::from_millis(u64::try_from(m.timeout_in_millis).unwrap_or(29_000)),
        no_request_templates: m.request_templates.is_empty(),
        upstream,
        request_headers: request_headers_read(m),
        backend_headers: BackendHeaders::of(&m.compiled),
    }
}

/// [`MethodPlan::request_headers`]: what the mapping may read, and the headers
/// `requestParameters` name.
fn request_headers_read(m: &DeployedMethod) -> Option<Box<[String]>> {
    let mut names = m.compiled.request_headers_read()?;
    names.extend(
        m.request_parameters
            .values()
            .filter_map(serde_json::Value::as_str)
            .filter_map(|s| {
                s.strip_prefix("method.request.header.")
                    .or_else(|| s.strip_prefix("method.request.multivalueheader."))
            })
            .map(str::to_owned),
    );
    Some(names.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The request headers a method may read: its templates' literal `$input.params` names
    /// and its `requestParameters` header sources; any for `$input.params()`.
    #[test]
    fn request_headers_read() {
        let op = |template: &str, params: serde_json::Value| {
            json!({"responses": {"200": {"description": "ok"}},
                   "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET",
                       "uri": "http://127.0.0.1:9/",
                       "requestParameters": params,
                       "responses": {"default": {"statusCode": "200",
                           "responseTemplates": {"application/json": template}}}}})
        };
        let doc = json!({"openapi": "3.0.1", "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {"get": op("$input.params('x-h') $input.path('$')",
                json!({"integration.request.header.X-Out": "method.request.header.X-In"}))},
            "/b": {"get": op("$input.params()", json!({}))},
            "/c": {"get": op("$context.requestId", json!({}))},
        }});
        let (_, id, snapshot) = crate::gateway::deployed_for_tests(&doc);
        let id = id.as_str();
        let plan = StagePlan::new(&snapshot, &MethodTraitTable::new(), &[], id);
        let read = |path: &str| {
            let r = plan.route("GET", path).unwrap();
            plan.method(r.index).unwrap().request_headers.clone()
        };
        assert_eq!(
            read("/a").as_deref(),
            Some(&["x-h".to_owned(), "X-In".to_owned()][..])
        );
        assert_eq!(read("/b"), None);
        assert_eq!(read("/c").as_deref(), Some(&[][..]));
    }

    /// The plan's router agrees with `Snapshot::route` (method and decoded parameters).
    #[test]
    fn routes_as_the_snapshot_does() {
        let op = || {
            json!({"responses": {"200": {"description": "ok"}},
                   "x-amazon-apigateway-integration": {"type": "mock",
                       "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                       "responses": {"default": {"statusCode": "200"}}}})
        };
        let mut paths = serde_json::Map::new();
        for (path, methods) in [
            ("/", &["get"][..]),
            ("/a", &["get", "post"]),
            ("/a/b", &["get"]),
            ("/a/{x}", &["get", "x-amazon-apigateway-any-method"]),
            ("/a/{x}/c", &["put"]),
            ("/a/{x}/d", &["get"]),
            ("/g/{p+}", &["get"]),
            ("/g/h", &["post"]),
            ("/{proxy+}", &["x-amazon-apigateway-any-method"]),
            ("/k/{id}/l/{n}", &["delete"]),
            ("/m/b", &["get"]),
            ("/m/{q}", &["post"]),
        ] {
            let mut item = serde_json::Map::new();
            for m in methods {
                item.insert((*m).to_owned(), op());
            }
            paths.insert(path.to_owned(), item.into());
        }
        let doc = json!({"openapi": "3.0.1", "info": {"title": "t", "version": "1"},
                         "paths": paths});
        let (_, id, snapshot) = crate::gateway::deployed_for_tests(&doc);
        let id = id.as_str();
        let plan = StagePlan::new(&snapshot, &MethodTraitTable::new(), &[], id);
        let mut routed = 0;
        for path in [
            "",
            "/",
            "//",
            "/a",
            "/a/",
            "//a//",
            "/a/b",
            "/a/b/",
            "/a/x%20y",
            "/a/1/c",
            "/a/1/d",
            "/a/1/e",
            "/a/1/c/d",
            "/a/b/c",
            "/b",
            "/b/c/d%2Fe",
            "/k/1/l/2",
            "/k/1/l",
            "/m/b",
            "/m/c",
            "/a%2Fb",
            "/g",
            "/g/h",
            "/g/h/i",
            "/g/x%2Fy/z",
            "/g//x//y%20z/",
            "/g/x/",
        ] {
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                let expected = snapshot.route(method, path).map(|r| {
                    let params: Vec<(String, String)> = r
                        .path_parameters
                        .iter()
                        .map(|(k, v)| (k.clone(), context::percent_decode(v)))
                        .collect();
                    (
                        r.method.resource_path.clone(),
                        r.method.http_method.clone(),
                        params,
                    )
                });
                let got = plan.route(method, path).map(|r| {
                    let m = plan.deployed(&snapshot, r.index).unwrap();
                    (
                        m.resource_path.clone(),
                        m.http_method.clone(),
                        r.path_parameters,
                    )
                });
                assert_eq!(got, expected, "{method} {path}");
                routed += usize::from(got.is_some());
            }
        }
        assert!(routed > 40, "{routed}");
        assert_eq!(
            plan.route("DELETE", "/m/b"),
            None,
            "the most specific resource lacks the method: no fallback"
        );
    }
}
