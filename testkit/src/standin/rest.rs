//! The REST half: one fallback handler that records, applies faults and routes by path.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::dms;
use super::faults::{Fault, take_delay, take_fault, unavailable};
use super::json;
use super::limits::counts_globally;
use super::role_routes;
use super::state::{Inner, RecordedRequest, State};
use super::writes;

pub const API_PREFIX: &str = "/api/v10";

/// A response before it becomes an axum one.
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
    /// Close the connection without answering (the request was carried out; the client
    /// never learns how it went).
    pub drop_connection: bool,
    /// An HTML body instead of JSON (Cloudflare's pages in front of Discord).
    pub html: Option<String>,
}

impl Resp {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            headers: Vec::new(),
            drop_connection: false,
            html: None,
        }
    }

    pub fn ok(body: Value) -> Self {
        Self::json(200, body)
    }

    pub fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            headers: Vec::new(),
            drop_connection: false,
            html: None,
        }
    }

    /// Discord's error shape `{"message": ..., "code": ...}`.
    pub fn error(status: u16, code: u64, message: &str) -> Self {
        Self::json(status, json::error(code, message))
    }

    pub fn not_found() -> Self {
        Self::error(404, 0, "404: Not Found")
    }

    fn into_response(self) -> Response {
        let mut builder = Response::builder().status(self.status);
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        let body = match (self.body, self.html) {
            (_, Some(html)) => {
                builder = builder.header("content-type", "text/html; charset=UTF-8");
                Body::from(html)
            }
            (Some(v), None) => {
                builder = builder.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            (None, None) => Body::empty(),
        };
        builder
            .body(body)
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }
}

/// Axum fallback: every request that is not the gateway lands here.
pub async fn handle(
    AxumState(state): AxumState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = Instant::now();
    let full = uri.path();
    let path = full.strip_prefix(API_PREFIX).unwrap_or(full).to_string();
    let body = parse_body(&body);
    let delay = take_delay(&mut state.lock().faults, method.as_str(), &path);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let resp = {
        let mut inner = state.lock();
        let resp = respond(
            &mut inner,
            method.as_str(),
            &path,
            full.starts_with(API_PREFIX),
            &body,
            now,
        );
        record(
            &mut inner,
            &method,
            path,
            uri.query(),
            &headers,
            body,
            &resp,
            now,
        );
        resp
    };
    state.notify();
    if resp.drop_connection {
        // Unwinding ends the connection's task: the socket closes with no response, as when
        // a connection breaks after Discord acted. `resume_unwind` skips the panic hook.
        std::panic::resume_unwind(Box::new("stand-in dropped the connection"));
    }
    resp.into_response()
}

fn parse_body(bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

#[allow(clippy::too_many_arguments)]
fn record(
    inner: &mut Inner,
    method: &Method,
    path: String,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Value,
    resp: &Resp,
    at: Instant,
) {
    let headers = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    inner.requests.push(RecordedRequest {
        seq: inner.requests.len(),
        at,
        method: method.as_str().to_string(),
        path,
        query: query.map(str::to_string),
        headers,
        body,
        status: resp.status,
        response: resp.body.clone().unwrap_or(Value::Null),
        response_headers: resp
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    });
}

fn respond(
    inner: &mut Inner,
    method: &str,
    path: &str,
    api: bool,
    body: &Value,
    now: Instant,
) -> Resp {
    let key = format!("{method} {path}");
    inner.backoff.observe(&key, now);
    let global = if api && counts_globally(path) {
        inner.global.admit(now).err()
    } else {
        None
    };
    let resp = if !api {
        Resp::not_found()
    } else if let Some(limited) = global {
        limited
    } else if inner.down {
        unavailable()
    } else if inner.token_revoked {
        Resp::error(401, 0, "401: Unauthorized")
    } else {
        match take_fault(&mut inner.faults, method, path) {
            Some(Fault::DropResponse) => {
                let mut resp = route(inner, method, path, body, now);
                resp.drop_connection = true;
                resp
            }
            Some(fault) => fault.response(),
            None => route(inner, method, path, body, now),
        }
    };
    if resp.status == 429 {
        let body = resp.body.clone().unwrap_or_default();
        let retry = body["retry_after"].as_f64().unwrap_or(0.0);
        let key = if body["global"] == true {
            "*"
        } else {
            key.as_str()
        };
        inner.backoff.issued(key, now, retry);
    }
    resp
}

fn id(segment: &str) -> Option<u64> {
    segment.parse().ok()
}

fn route(inner: &mut Inner, method: &str, path: &str, body: &Value, now: Instant) -> Resp {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        ("GET", ["gateway"]) => Resp::ok(json!({ "url": gateway_url(inner) })),
        ("GET", ["gateway", "bot"]) => Resp::ok(super::sessions::gateway_bot(inner, now)),
        ("GET", ["users", "@me"]) => Resp::ok(json::user(&inner.model.bot)),
        ("GET", ["users", u]) => user_get(inner, id(u)),
        ("GET", ["oauth2", "applications", "@me"]) => Resp::ok(json::application(&inner.model)),
        ("GET", ["guilds", g, rest @ ..]) => guild_get(inner, id(g), rest),
        ("GET", ["channels", c]) => channel_get(inner, id(c)),
        ("PUT" | "DELETE", ["guilds", g, "members", u, "roles", r]) => {
            let bot = inner.model.bot.id;
            role_routes::member_role(inner, bot, method, (id(g), id(u), id(r)))
        }
        ("PATCH", ["guilds", g, "roles"]) => {
            let bot = inner.model.bot.id;
            role_routes::role_positions(inner, bot, id(g), body)
        }
        ("POST", ["users", "@me", "channels"]) => dms::open(inner, body, now),
        ("POST", ["channels", c, "messages"]) if dm_recipient(inner, c).is_some() => {
            let user = dm_recipient(inner, c).unwrap_or_default();
            dms::create_message(inner, id(c).unwrap_or_default(), user, body, now)
        }
        ("POST", ["channels", c, "messages"]) => writes::create_message(inner, id(c), body, now),
        ("GET", ["channels", c, "messages", m]) => writes::get_message(inner, id(c), id(m)),
        ("PUT" | "GET", ["applications", _, "commands"]) => {
            writes::commands(inner, None, method, body)
        }
        ("PUT" | "GET", ["applications", _, "guilds", g, "commands"]) => {
            writes::commands(inner, Some(id(g).unwrap_or(0)), method, body)
        }
        ("POST", ["interactions", i, token, "callback"]) => {
            writes::callback(inner, id(i), token, body, now)
        }
        (_, ["webhooks", _, token, rest @ ..]) => writes::webhook(inner, method, token, rest, body),
        _ => Resp::not_found(),
    }
}

fn dm_recipient(inner: &Inner, channel: &str) -> Option<u64> {
    id(channel).and_then(|c| inner.dms.recipient(c))
}

fn gateway_url(inner: &Inner) -> String {
    format!("{}/gateway", inner.base_url.replacen("http://", "ws://", 1))
}

fn guild_get(inner: &Inner, guild: Option<u64>, rest: &[&str]) -> Resp {
    let model = &inner.model;
    if guild != Some(model.id) {
        return Resp::error(404, 10004, "Unknown Guild");
    }
    match rest {
        [] => Resp::ok(json::partial_guild(model)),
        ["roles"] => Resp::ok(Value::Array(model.roles.iter().map(json::role).collect())),
        ["channels"] => Resp::ok(Value::Array(
            model
                .channels
                .iter()
                .map(|c| json::channel(c, model.id))
                .collect(),
        )),
        ["members", u] => match id(u).and_then(|u| model.member(u)) {
            Some(m) => Resp::ok(json::member(m, &inner.joined_at, true)),
            None => Resp::error(404, 10007, "Unknown Member"),
        },
        _ => Resp::not_found(),
    }
}

/// `GET /users/{id}`: members, the bot, and the model's other users; else 10013.
fn user_get(inner: &Inner, user: Option<u64>) -> Resp {
    let model = &inner.model;
    let found = user.and_then(|u| {
        let members = model.members.iter().map(|m| &m.user);
        members
            .chain(model.users.iter())
            .chain(std::iter::once(&model.bot))
            .find(|spec| spec.id == u)
    });
    match found {
        Some(spec) => Resp::ok(json::user(spec)),
        None => Resp::error(404, 10013, "Unknown User"),
    }
}

fn channel_get(inner: &Inner, channel: Option<u64>) -> Resp {
    match channel.and_then(|c| inner.model.channel(c)) {
        Some(c) => Resp::ok(json::channel(c, inner.model.id)),
        None => Resp::error(404, 10003, "Unknown Channel"),
    }
}
