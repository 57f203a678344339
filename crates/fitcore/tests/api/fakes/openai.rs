//! A small OpenAI Chat Completions API: `POST /v1/chat/completions`, JSON in
//! and out as OpenAI speaks it (`chat.completion` objects, the assistant's
//! answer as a JSON string in `choices[0].message.content`, a `refusal`
//! field, OpenAI's `{"error": {...}}` envelope). It records every request
//! (body and `Authorization` header) and answers as told by a `Behaviour`
//! that can be changed while it runs.

#![allow(dead_code)]

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

pub const API_KEY: &str = "sk-test-fitcore";
pub const MODEL: &str = "gpt-4o-mini-2024-07-18";

/// Realistic single foods the echo answer picks from.
pub const ECHO_FOODS: [&str; 20] = [
    "rolled oats",
    "banana",
    "milk",
    "eggs",
    "whole wheat bread",
    "chicken breast",
    "brown rice",
    "broccoli",
    "salmon",
    "quinoa",
    "lentils",
    "tofu",
    "spinach",
    "apple",
    "almonds",
    "greek yogurt",
    "sweet potato",
    "black beans",
    "turkey",
    "olive oil",
];

/// Foods no database holds.
pub const HALLUCINATED_FOODS: [&str; 5] = [
    "moon cheese",
    "dragon fillet",
    "unicorn milk",
    "phoenix egg",
    "cloudberry nebula",
];

pub const REFUSAL: &str = "I can't help with that.";

/// How the fake answers the next calls.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Answer with this `{"meals": [...]}` as the content string.
    Ideas(Value),
    /// One meal per day and slot the prompt asks for, from `ECHO_FOODS`.
    Echo,
    /// Truncated JSON as content, `finish_reason: "stop"`.
    Malformed,
    /// The right shape, made-up foods.
    Hallucinated,
    /// `content: null`, `refusal: REFUSAL`.
    Refusal,
    /// Sleep, then `Echo`.
    Slow(Duration),
    /// This status with OpenAI's error envelope.
    Status(u16),
    /// Truncated content with `finish_reason: "length"`.
    Cutoff,
    /// `content: null` with `finish_reason: "content_filter"`.
    Filtered,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub authorization: Option<String>,
    pub body: Value,
}

struct Inner {
    requests: Mutex<Vec<Recorded>>,
    behaviour: Mutex<Behaviour>,
}

#[derive(Clone)]
pub struct FakeOpenAi {
    /// `http://127.0.0.1:<port>/v1`, what `OPENAI_BASE_URL` would hold.
    pub url: String,
    inner: Arc<Inner>,
}

type Shared = State<FakeOpenAi>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// OpenAI's error envelope.
fn openai_error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": kind, "param": null, "code": code}})),
    )
        .into_response()
}

fn status_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (message, kind, code) = match status.as_u16() {
        400 => ("Invalid request.", "invalid_request_error", None),
        401 => (
            "Incorrect API key provided.",
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        429 => (
            "Rate limit reached for requests.",
            "requests",
            Some("rate_limit_exceeded"),
        ),
        503 => (
            "The engine is currently overloaded, please try again later.",
            "server_error",
            None,
        ),
        _ => (
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        ),
    };
    openai_error(status, message, kind, code)
}

impl FakeOpenAi {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake OpenAI");
        let fake = FakeOpenAi {
            url: format!("http://{}/v1", listener.local_addr().expect("addr")),
            inner: Arc::new(Inner {
                requests: Mutex::new(Vec::new()),
                behaviour: Mutex::new(Behaviour::Echo),
            }),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    pub fn set(&self, behaviour: Behaviour) {
        *lock(&self.inner.behaviour) = behaviour;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner.requests).clone()
    }

    /// The body of the last request.
    pub fn last_body(&self) -> Value {
        self.requests()
            .last()
            .map(|r| r.body.clone())
            .expect("the fake OpenAI got a request")
    }
}

async fn chat_completions(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    lock(&s.inner.requests).push(Recorded {
        authorization: authorization.clone(),
        body: parsed.clone().unwrap_or(Value::Null),
    });
    if authorization.as_deref() != Some(&format!("Bearer {API_KEY}")) {
        return status_error(401);
    }
    let Some(request) = parsed else {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "We could not parse the JSON body of your request.",
            "invalid_request_error",
            None,
        );
    };
    if !request["model"].is_string() || !request["messages"].is_array() {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "Missing required parameter: 'model' or 'messages'.",
            "invalid_request_error",
            Some("missing_required_parameter"),
        );
    }

    let behaviour = lock(&s.inner.behaviour).clone();
    let (content, refusal, finish_reason) = match behaviour {
        Behaviour::Ideas(meals) => (Some(meals.to_string()), None, "stop"),
        Behaviour::Echo => (Some(echo(&request, &ECHO_FOODS).to_string()), None, "stop"),
        Behaviour::Slow(delay) => {
            tokio::time::sleep(delay).await;
            (Some(echo(&request, &ECHO_FOODS).to_string()), None, "stop")
        }
        Behaviour::Malformed => (Some(r#"{"meals": [ {"day": 1,"#.to_string()), None, "stop"),
        Behaviour::Hallucinated => (
            Some(echo(&request, &HALLUCINATED_FOODS).to_string()),
            None,
            "stop",
        ),
        Behaviour::Refusal => (None, Some(REFUSAL), "stop"),
        Behaviour::Status(code) => return status_error(code),
        Behaviour::Cutoff => (
            Some(r#"{"meals": [{"day": 1, "slot": "breakfast", "name": "Oat"#.to_string()),
            None,
            "length",
        ),
        Behaviour::Filtered => (None, None, "content_filter"),
    };
    let prompt_tokens = body.len() / 4;
    let completion_tokens = content.as_deref().map_or(8, |c| c.len() / 4);
    Json(json!({
        "id": format!("chatcmpl-fake{}", uuid::Uuid::new_v4().simple()),
        "object": "chat.completion",
        "created": chrono::Utc::now().timestamp(),
        "model": MODEL,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
            "logprobs": null,
            "finish_reason": finish_reason
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens
        },
        "system_fingerprint": "fp_fake"
    }))
    .into_response()
}

/// The user message's text.
fn user_prompt(request: &Value) -> String {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Days and slots the prompt asks for ("Plan meal ideas for 3 day(s)", "Slots for
/// each day, in order: breakfast, lunch, dinner."); one day of three meals
/// when it does not say.
fn plan_shape(prompt: &str) -> (u32, Vec<String>) {
    let days = prompt
        .split_once("meal ideas for ")
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|d| (1..=31).contains(d))
        .unwrap_or(1);
    let slots = prompt
        .lines()
        .find_map(|l| l.strip_prefix("Slots for each day, in order: "))
        .map(|l| {
            l.trim_end_matches('.')
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec!["breakfast".into(), "lunch".into(), "dinner".into()]);
    (days, slots)
}

/// `{"meals": [...]}` with one meal per day and slot, three foods each.
fn echo(request: &Value, foods: &[&str]) -> Value {
    let (days, slots) = plan_shape(&user_prompt(request));
    let mut meals = Vec::new();
    for day in 1..=days {
        for (i, slot) in slots.iter().enumerate() {
            let start = (day as usize * 7 + i * 3) % foods.len();
            let picked: Vec<&str> = (0..3).map(|k| foods[(start + k) % foods.len()]).collect();
            meals.push(json!({
                "day": day,
                "slot": slot,
                "name": format!("{} with {} and {}", capitalise(picked[0]), picked[1], picked[2]),
                "foods": picked,
            }));
        }
    }
    json!({ "meals": meals })
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
