//! The failure half of the OpenAPI document, completed in one place. The handlers'
//! annotations say what each operation answers when it works and what is special about
//! it; the errors every operation of a kind can answer (a malformed request, a refused
//! credential, an unknown id, storage down, …) come from the same extractors and the one
//! error mapping in `error.rs`, so they are declared here the same way: from what the
//! operation takes. Every error is an RFC 9457 problem document, served as
//! `application/problem+json`, and documented so.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

const PROBLEM_TYPE: &str = "application/problem+json";

fn problem(description: &str) -> RefOr<Response> {
    let mut r = Response::new(description);
    r.content.insert(
        PROBLEM_TYPE.to_string(),
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    RefOr::T(r)
}

fn is_problem(c: &Content) -> bool {
    matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
}

/// Completes every operation of `doc` with the problem responses it can answer.
pub fn complete(mut doc: OpenApi) -> OpenApi {
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(path, op);
        }
    }
    doc
}

fn complete_operation(path: &str, op: &mut Operation) {
    // Problem documents declared by hand as JSON are served as problem+json.
    for r in op.responses.responses.values_mut() {
        if let RefOr::T(resp) = r {
            if let Some(c) = resp.content.shift_remove("application/json") {
                let key = if is_problem(&c) {
                    PROBLEM_TYPE
                } else {
                    "application/json"
                };
                resp.content.insert(key.to_string(), c);
            }
        }
    }
    let has_path_params = path.contains('{')
        || op
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == ParameterIn::Path);
    let takes_body = op.request_body.is_some();
    // Routes that need a credential; the verification and login routes check one too
    // (a bad verifier key, a refused session).
    let credentialed = op.security.is_some() || path.starts_with("/api/v1/mobile/");
    let mut add = |code: &str, description: &str| {
        op.responses
            .responses
            .entry(code.to_string())
            .or_insert_with(|| problem(description));
    };
    add(
        "400",
        "the request is malformed: a query parameter, path segment or body keyward cannot read",
    );
    add(
        "503",
        "storage is unavailable: nothing was changed and no token is accepted until it returns",
    );
    // Any address can carry a control character, which no field stores (`input.rs`).
    add(
        "422",
        "a value is refused: a control character in the address or body, or a body value the \
         rules refuse (the detail says which)",
    );
    if credentialed {
        add(
            "401",
            "no credential, or one that was refused (the code says why)",
        );
        add("403", "the credential is good but may not do this");
        add(
            "429",
            "the credential, or the login, is rate limited (see Retry-After)",
        );
    }
    if has_path_params {
        add("404", "nothing of this tenant has that id");
    }
    if takes_body {
        add("413", "the body is larger than this route accepts");
        add(
            "415",
            "the body is not sent as the media type this route takes",
        );
    }
}
