//! Route selection as API Gateway HTTP APIs do it: the most specific path wins (exact, then
//! `{param}` routes with the most literal segments, then `{proxy+}`), a route for the method
//! beats `ANY` on the same path, and `$default` takes whatever is left.

use std::cmp::Reverse;
use std::collections::HashMap;

use percent_encoding::percent_decode_str;

use crate::template::Stack;

#[derive(Debug, Clone)]
pub struct Route {
    /// Logical id of the function behind the route.
    pub function: String,
    /// Logical id of the HTTP API.
    pub api: String,
    /// `POST /identity/signup` or `$default`.
    pub route_key: String,
    pub authorizer: Option<String>,
    method: String,
    /// `None` for `$default`.
    segments: Option<Vec<Segment>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    fn parse(text: &str) -> Segment {
        match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(name) => match name.strip_suffix('+') {
                Some(greedy) => Segment::Greedy(greedy.to_string()),
                None => Segment::Param(name.to_string()),
            },
            None => Segment::Literal(text.to_string()),
        }
    }

    /// Literal before parameter before greedy parameter.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        }
    }
}

pub struct Matched<'a> {
    pub route: &'a Route,
    /// Decoded values of the route's `{param}`s.
    pub path_parameters: HashMap<String, String>,
}

#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    pub fn new(stack: &Stack) -> RouteTable {
        let mut table = RouteTable::default();
        for (function, route) in stack.routes() {
            table.add(
                &function.logical_id,
                &route.api,
                &route.method,
                &route.path,
                route.authorizer.clone(),
            );
        }
        table
    }

    pub fn add(&mut self, function: &str, api: &str, method: &str, path: &str, authorizer: Option<String>) {
        let segments = (path != "$default").then(|| split(path).map(Segment::parse).collect());
        let route_key = if path == "$default" {
            "$default".to_string()
        } else {
            format!("{method} {path}")
        };
        self.routes.push(Route {
            function: function.to_string(),
            api: api.to_string(),
            route_key,
            authorizer,
            method: method.to_ascii_uppercase(),
            segments,
        });
    }

    /// The route that serves `method raw_path`, if any.
    pub fn find(&self, method: &str, raw_path: &str) -> Option<Matched<'_>> {
        let request: Vec<String> = split(raw_path)
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let best = self
            .routes
            .iter()
            .filter(|route| route.method == "ANY" || route.method == method)
            .filter_map(|route| {
                let segments = route.segments.as_ref()?;
                let parameters = match_segments(segments, &request)?;
                Some((precedence(route, segments), route, parameters))
            })
            .min_by(|a, b| a.0.cmp(&b.0));
        if let Some((_, route, path_parameters)) = best {
            return Some(Matched { route, path_parameters });
        }
        let route = self.routes.iter().find(|route| route.segments.is_none())?;
        Some(Matched {
            route,
            path_parameters: HashMap::new(),
        })
    }
}

/// Smaller is more specific: path class, then more literal segments, then literals further
/// left, then a method before `ANY`.
fn precedence(route: &Route, segments: &[Segment]) -> (u8, Reverse<usize>, Vec<u8>, bool) {
    let ranks: Vec<u8> = segments.iter().map(Segment::rank).collect();
    let class = ranks.iter().copied().max().unwrap_or(0);
    let literals = ranks.iter().filter(|&&rank| rank == 0).count();
    (class, Reverse(literals), ranks, route.method == "ANY")
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

fn match_segments(segments: &[Segment], request: &[String]) -> Option<HashMap<String, String>> {
    let mut parameters = HashMap::new();
    for (index, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Literal(literal) => {
                if request.get(index)? != literal {
                    return None;
                }
            }
            Segment::Param(name) => {
                let value = request.get(index).filter(|value| !value.is_empty())?;
                parameters.insert(name.clone(), value.clone());
            }
            Segment::Greedy(name) => {
                let rest = request.get(index..)?.join("/");
                if rest.is_empty() {
                    return None;
                }
                parameters.insert(name.clone(), rest);
                return Some(parameters);
            }
        }
    }
    (request.len() == segments.len()).then_some(parameters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: &[(&str, &str)]) -> RouteTable {
        let mut table = RouteTable::default();
        for (method, path) in routes {
            table.add(&format!("{method} {path}"), "Api", method, path, None);
        }
        table
    }

    fn key(table: &RouteTable, method: &str, path: &str) -> Option<String> {
        table.find(method, path).map(|m| m.route.route_key.clone())
    }

    #[test]
    fn exact_beats_param_beats_proxy() {
        let t = table(&[
            ("GET", "/items/{proxy+}"),
            ("GET", "/items/{id}"),
            ("GET", "/items/special"),
        ]);
        assert_eq!(key(&t, "GET", "/items/special").unwrap(), "GET /items/special");
        assert_eq!(key(&t, "GET", "/items/42").unwrap(), "GET /items/{id}");
        assert_eq!(key(&t, "GET", "/items/42/parts").unwrap(), "GET /items/{proxy+}");
        assert_eq!(
            key(&t, "GET", "/items"),
            None,
            "a greedy variable needs at least one segment"
        );
    }

    #[test]
    fn more_literal_segments_win_among_param_routes() {
        let t = table(&[("GET", "/{a}/{b}/c"), ("GET", "/x/{b}/c"), ("GET", "/{a}/y/{c}")]);
        assert_eq!(key(&t, "GET", "/x/y/c").unwrap(), "GET /x/{b}/c");
        assert_eq!(key(&t, "GET", "/q/y/z").unwrap(), "GET /{a}/y/{c}");
        assert_eq!(key(&t, "GET", "/q/r/c").unwrap(), "GET /{a}/{b}/c");
    }

    #[test]
    fn param_route_beats_a_shorter_proxy() {
        let t = table(&[("ANY", "/{proxy+}"), ("GET", "/a/{id}")]);
        assert_eq!(key(&t, "GET", "/a/1").unwrap(), "GET /a/{id}");
        assert_eq!(key(&t, "POST", "/a/1").unwrap(), "ANY /{proxy+}");
    }

    #[test]
    fn a_method_beats_any_and_other_methods_do_not_match() {
        let t = table(&[
            ("ANY", "/identity/me"),
            ("GET", "/identity/me"),
            ("POST", "/identity/signup"),
        ]);
        assert_eq!(key(&t, "GET", "/identity/me").unwrap(), "GET /identity/me");
        assert_eq!(key(&t, "DELETE", "/identity/me").unwrap(), "ANY /identity/me");
        assert_eq!(
            key(&t, "GET", "/identity/signup"),
            None,
            "another method on an existing path is a 404"
        );
    }

    #[test]
    fn default_takes_the_rest() {
        let t = table(&[("ANY", "$default"), ("GET", "/a")]);
        assert_eq!(key(&t, "GET", "/a").unwrap(), "GET /a");
        assert_eq!(key(&t, "DELETE", "/anything/else").unwrap(), "$default");
    }

    #[test]
    fn path_parameters_are_decoded() {
        let t = table(&[("GET", "/files/{name}"), ("GET", "/blobs/{key+}")]);
        let matched = t.find("GET", "/files/a%20b%2Bc").unwrap();
        assert_eq!(matched.path_parameters["name"], "a b+c");
        let matched = t.find("GET", "/blobs/x/y%C3%A9/z").unwrap();
        assert_eq!(matched.path_parameters["key"], "x/yé/z");
    }

    #[test]
    fn trailing_slashes_and_empty_segments_do_not_match_params() {
        let t = table(&[("GET", "/a/{id}"), ("GET", "/b")]);
        assert_eq!(key(&t, "GET", "/a/"), None);
        assert_eq!(key(&t, "GET", "/b/"), None);
    }
}
