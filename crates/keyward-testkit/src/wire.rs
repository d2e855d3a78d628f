//! One-line sends for tests of the wire format that build their own request (another
//! header, a form, no credentials, a cluster node's URL): the answer, its JSON, its text.

use serde_json::Value;

/// The text `field` of each element of the JSON array `list` (the names of a page's
/// items, the actions of audit events).
pub fn texts(list: &Value, field: &str) -> Vec<String> {
    let items = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"));
    items
        .iter()
        .map(|item| match item[field].as_str() {
            Some(text) => text.to_string(),
            None => panic!("no text {field:?} in {item}"),
        })
        .collect()
}

/// Sends `req`; the response, whatever its status.
pub async fn send(req: reqwest::RequestBuilder) -> reqwest::Response {
    req.send().await.expect("request")
}

/// Sends `req`; the body as JSON, whatever the status.
pub async fn json_of(req: reqwest::RequestBuilder) -> Value {
    send(req).await.json().await.expect("a JSON body")
}

/// Sends `req`; the body as text, whatever the status.
pub async fn text_of(req: reqwest::RequestBuilder) -> String {
    send(req).await.text().await.expect("a text body")
}
