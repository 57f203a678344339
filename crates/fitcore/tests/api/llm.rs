//! The LLM client against the fake Chat Completions server.

use crate::fakes::openai::{self, Behaviour, FakeOpenAi};
use fitcore::nutrition::llm::{LlmConfig, LlmError, MealIdea, MealIdeasRequest, meal_ideas};
use serde_json::json;
use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

fn config(fake: &FakeOpenAi) -> LlmConfig {
    LlmConfig {
        base_url: fake.url.clone(),
        api_key: openai::API_KEY.to_string(),
        model: "gpt-4o-mini".to_string(),
        timeout: Duration::from_secs(10),
    }
}

fn request(days: u32, meals_per_day: u32) -> MealIdeasRequest {
    MealIdeasRequest {
        days,
        meals_per_day,
        calories: 2200.0,
        protein_g: 140.0,
        carbs_g: 250.0,
        fat_g: 70.0,
        diet: vec!["vegan".into()],
        allergies: vec!["peanuts".into(), "sesame".into()],
        avoid: vec!["mushrooms".into()],
    }
}

fn idea(day: u32, slot: &str, name: &str, foods: &[&str]) -> MealIdea {
    MealIdea {
        day,
        slot: slot.into(),
        name: name.into(),
        foods: foods.iter().map(|f| f.to_string()).collect(),
    }
}

async fn ask(fake: &FakeOpenAi, days: u32, meals: u32) -> Result<Vec<MealIdea>, LlmError> {
    meal_ideas(
        &reqwest::Client::new(),
        &config(fake),
        &request(days, meals),
    )
    .await
}

#[tokio::test]
async fn the_request_carries_the_model_the_key_the_strict_schema_and_the_constraints() {
    let fake = FakeOpenAi::start().await;
    ask(&fake, 2, 3).await.expect("ideas");

    let recorded = fake.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].authorization.as_deref(),
        Some(format!("Bearer {}", openai::API_KEY).as_str())
    );
    let body = &recorded[0].body;
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["temperature"], 0.3);
    assert_eq!(
        body["response_format"],
        json!({
            "type": "json_schema",
            "json_schema": {
                "name": "meal_ideas",
                "strict": true,
                "schema": {
                    "type": "object",
                    "properties": {
                        "meals": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "day": {"type": "integer", "description": "Day number, starting at 1."},
                                    "slot": {"type": "string", "enum": ["breakfast", "lunch", "dinner", "snack"]},
                                    "name": {"type": "string", "description": "Short name of the meal."},
                                    "foods": {
                                        "type": "array",
                                        "description": "Generic single-ingredient food names, no quantities.",
                                        "items": {"type": "string"}
                                    }
                                },
                                "required": ["day", "slot", "name", "foods"],
                                "additionalProperties": false
                            }
                        }
                    },
                    "required": ["meals"],
                    "additionalProperties": false
                }
            }
        })
    );
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    assert!(
        messages[0]["content"]
            .as_str()
            .expect("system text")
            .contains("USDA SR28")
    );
    assert_eq!(messages[1]["role"], "user");
    let user = messages[1]["content"].as_str().expect("user text");
    for needle in [
        "2 day(s)",
        "breakfast, lunch, dinner",
        "2200 kcal",
        "vegan",
        "peanuts",
        "sesame",
        "mushrooms",
    ] {
        assert!(user.contains(needle), "{needle:?} missing from {user:?}");
    }
}

#[tokio::test]
async fn echo_gives_an_idea_for_every_day_and_slot() {
    let fake = FakeOpenAi::start().await;
    let ideas = ask(&fake, 3, 5).await.expect("ideas");

    assert_eq!(ideas.len(), 15);
    for day in 1..=3 {
        let slots: Vec<&str> = ideas
            .iter()
            .filter(|i| i.day == day)
            .map(|i| i.slot.as_str())
            .collect();
        assert_eq!(slots, ["breakfast", "lunch", "dinner", "snack", "snack"]);
    }
    for i in &ideas {
        assert!(!i.foods.is_empty() && i.foods.len() <= 8);
        assert!(
            i.foods
                .iter()
                .all(|f| openai::ECHO_FOODS.contains(&f.as_str()))
        );
    }
}

#[tokio::test]
async fn ideas_with_a_bad_day_an_unknown_slot_or_no_foods_are_dropped_and_the_rest_kept() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Ideas(json!({"meals": [
        {"day": 1, "slot": "breakfast", "name": "Oats and banana", "foods": ["rolled oats", "banana", "soy milk"]},
        {"day": 0, "slot": "lunch", "name": "Day zero", "foods": ["lentils"]},
        {"day": 1, "slot": "brunch", "name": "Brunch", "foods": ["tofu", "spinach"]},
        {"day": 2, "slot": "dinner", "name": "Nothing", "foods": []},
        {"day": 2, "slot": "lunch", "name": "Quinoa bowl", "foods": ["quinoa", "black beans", "spinach"]}
    ]})));

    let ideas = ask(&fake, 2, 3).await.expect("ideas");

    assert_eq!(
        ideas,
        vec![
            idea(
                1,
                "breakfast",
                "Oats and banana",
                &["rolled oats", "banana", "soy milk"]
            ),
            idea(
                2,
                "lunch",
                "Quinoa bowl",
                &["quinoa", "black beans", "spinach"]
            ),
        ]
    );
}

#[tokio::test]
async fn an_answer_with_nothing_usable_is_malformed() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Ideas(json!({"meals": [
        {"day": 9, "slot": "dinner", "name": "Too late", "foods": ["salmon"]},
        {"day": 1, "slot": "dinner", "name": "Too many", "foods": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]},
        {"day": 1, "slot": "lunch", "name": "x".repeat(81), "foods": ["tofu"]}
    ]})));

    let err = ask(&fake, 2, 3).await.expect_err("nothing usable");

    assert!(
        matches!(&err, LlmError::Malformed(m) if m == "no usable meals"),
        "{err:?}"
    );
}

#[tokio::test]
async fn truncated_json_content_is_malformed() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Malformed);

    let err = ask(&fake, 1, 3).await.expect_err("truncated JSON");

    assert!(matches!(err, LlmError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn made_up_foods_pass_through_for_the_caller_to_resolve() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Hallucinated);

    let ideas = ask(&fake, 1, 3).await.expect("ideas");

    assert_eq!(ideas.len(), 3);
    let foods: BTreeSet<&str> = ideas
        .iter()
        .flat_map(|i| i.foods.iter().map(String::as_str))
        .collect();
    assert!(foods.contains("moon cheese") || foods.contains("dragon fillet"));
    assert!(foods.iter().all(|f| openai::HALLUCINATED_FOODS.contains(f)));
}

#[tokio::test]
async fn a_refusal_is_reported_as_refused_with_the_models_words() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Refusal);

    let err = ask(&fake, 1, 3).await.expect_err("refused");

    assert!(
        matches!(&err, LlmError::Refused(m) if m == openai::REFUSAL),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_answer_cut_off_at_the_token_limit_is_malformed() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Cutoff);

    let err = ask(&fake, 1, 3).await.expect_err("cut off");

    assert!(matches!(err, LlmError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn an_answer_withheld_by_the_content_filter_is_refused() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Filtered);

    let err = ask(&fake, 1, 3).await.expect_err("filtered");

    assert!(matches!(err, LlmError::Refused(_)), "{err:?}");
}

#[tokio::test]
async fn a_server_error_is_reported_with_its_status() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Status(500));

    let err = ask(&fake, 1, 3).await.expect_err("server error");

    assert!(matches!(err, LlmError::Status(500)), "{err:?}");
}

#[tokio::test]
async fn a_slow_model_times_out_at_the_configured_deadline() {
    let fake = FakeOpenAi::start().await;
    fake.set(Behaviour::Slow(Duration::from_secs(3)));
    let cfg = LlmConfig {
        timeout: Duration::from_millis(500),
        ..config(&fake)
    };

    let started = Instant::now();
    let err = meal_ideas(&reqwest::Client::new(), &cfg, &request(1, 3))
        .await
        .expect_err("timed out");

    assert!(matches!(err, LlmError::Timeout), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_nobody_listens_on_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let cfg = LlmConfig {
        base_url: format!("http://{addr}/v1"),
        api_key: openai::API_KEY.into(),
        model: "gpt-4o-mini".into(),
        timeout: Duration::from_secs(5),
    };

    let err = meal_ideas(&reqwest::Client::new(), &cfg, &request(1, 3))
        .await
        .expect_err("unreachable");

    assert!(matches!(err, LlmError::Unreachable(_)), "{err:?}");
}

#[tokio::test]
async fn a_wrong_key_is_rejected_with_401() {
    let fake = FakeOpenAi::start().await;
    let cfg = LlmConfig {
        api_key: "sk-wrong".into(),
        ..config(&fake)
    };

    let err = meal_ideas(&reqwest::Client::new(), &cfg, &request(1, 3))
        .await
        .expect_err("rejected");

    assert!(matches!(err, LlmError::Status(401)), "{err:?}");
    assert!(!err.to_string().contains("sk-wrong"));
}

#[tokio::test]
async fn a_trailing_slash_on_the_base_url_is_ignored() {
    let fake = FakeOpenAi::start().await;
    let cfg = LlmConfig {
        base_url: format!("{}/", fake.url),
        ..config(&fake)
    };

    let ideas = meal_ideas(&reqwest::Client::new(), &cfg, &request(1, 3))
        .await
        .expect("ideas");

    assert_eq!(ideas.len(), 3);
    assert_eq!(fake.requests().len(), 1);
}
