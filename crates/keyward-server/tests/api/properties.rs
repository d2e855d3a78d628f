//! Property tests of every request body the API takes: arbitrary JSON, shaped like the
//! bodies the document describes (their field names, wrong types, odd strings, control
//! characters), sent to every operation that takes a body. Whatever arrives, keyward
//! answers without a 5xx, and every refusal is a problem document. The token parser has
//! its own properties in keyward-core (`token.rs`).

use crate::matrix::{objects, operations};
use keyward_testkit::on_both_backends;
use keyward_testkit::{send, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

on_both_backends! {
    no_request_body_makes_the_server_fail_or_answer_without_a_problem_document => any_body;
}

/// Every property name in the document's schemas, so generated objects hit real fields.
fn field_names(doc: &Value) -> Vec<String> {
    let mut names: Vec<String> = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, s)| s["properties"].as_object().into_iter().flatten())
        .map(|(k, _)| k.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u32>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        "[a-z0-9:*._/ -]{0,16}".prop_map(Value::from),
        Just(Value::from("2027-01-31T23:59:59Z")),
        Just(Value::from("0190b1c2-7d3e-7f00-8000-000000000000")),
        Just(Value::from("\u{0}")),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

async fn any_body(app: TestApp) {
    let ours = objects(&app).await;
    let doc = app.openapi().await;
    let names = field_names(&doc);
    let with_body: Vec<(String, String)> = operations(&app)
        .await
        .into_iter()
        .filter(|(m, p)| {
            doc["paths"][p][m].get("requestBody").is_some() && p != "/oauth2/introspect"
        })
        .collect();
    assert!(
        with_body.len() >= 20,
        "{} operations take a body",
        with_body.len()
    );
    let body = prop::collection::btree_map(
        prop_oneof![3 => prop::sample::select(names), 1 => "[a-z_]{1,12}"],
        json_value(),
        0..7,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()));
    let ops = with_body.clone();
    let handle = tokio::runtime::Handle::current();
    let cases = 600;
    let outcome = tokio::task::block_in_place(|| {
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        runner.run(&(0..ops.len(), body), |(i, body)| {
            let (method, template) = &ops[i];
            let path = ours.fill(template);
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, content_type, text) = handle.block_on(async {
                let res = send(
                    app.http
                        .request(m, app.url(&path))
                        .bearer_auth(&app.admin_token)
                        .json(&body),
                )
                .await;
                let ct = res
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                (
                    res.status().as_u16(),
                    ct,
                    res.text().await.unwrap_or_default(),
                )
            });
            prop_assert!(
                status < 500,
                "{method} {path} {body} answered {status}: {text}"
            );
            if status >= 400 {
                prop_assert_eq!(
                    content_type.as_str(),
                    "application/problem+json",
                    "{} {} {} answered {}: {}",
                    method,
                    path,
                    body,
                    status,
                    text
                );
            }
            Ok(())
        })
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    println!(
        "{cases} generated bodies over {} operations: no 5xx, every refusal a problem document",
        with_body.len()
    );
}
