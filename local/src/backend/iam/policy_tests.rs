use serde_json::json;

use super::*;

const ROLE: Caller = Caller::Role {
    arn: "arn:aws:iam::1:role/r",
    session: "arn:aws:sts::1:assumed-role/r/f",
    account: "1",
};

fn policy(statements: Value) -> Policy {
    Policy::parse(&json!({ "Statement": statements })).unwrap()
}

fn put(key: &str) -> Authorization {
    Authorization::new("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/T")
        .with_values("dynamodb:LeadingKeys", Some(key.to_string()))
}

fn leading_keys(operator: &str, values: &[&str]) -> Policy {
    policy(json!([{
        "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
        "Condition": { operator: { "dynamodb:LeadingKeys": values } }
    }]))
}

#[test]
fn actions_ignore_case_and_resources_do_not() {
    let allow = policy(json!([{"Effect": "Allow", "Action": ["S3:get*"], "Resource": "arn:aws:s3:::b/ads/*"}]));
    let get = |resource: &str| Authorization::new("s3:GetObject", resource);
    assert_eq!(decide([&allow], &ROLE, &get("arn:aws:s3:::b/ads/1")), Decision::Allowed);
    assert_eq!(
        decide([&allow], &ROLE, &get("arn:aws:s3:::b/ADS/1")),
        Decision::NotAllowed
    );
    let put = Authorization::new("s3:PutObject", "arn:aws:s3:::b/ads/1");
    assert_eq!(decide([&allow], &ROLE, &put), Decision::NotAllowed);
}

#[test]
fn an_explicit_deny_wins_over_any_allow() {
    let allow = policy(json!([{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]));
    let deny = policy(json!({"Effect": "Deny", "NotAction": ["dynamodb:GetItem"], "Resource": "*"}));
    let get = Authorization::new("dynamodb:GetItem", "arn:t");
    let delete = Authorization::new("dynamodb:DeleteItem", "arn:t");
    assert_eq!(decide([&allow, &deny], &ROLE, &get), Decision::Allowed);
    assert_eq!(decide([&allow, &deny], &ROLE, &delete), Decision::Denied);
}

#[test]
fn for_all_values_holds_when_every_key_matches_and_for_none() {
    let policy = leading_keys("ForAllValues:StringLike", &["LOGIN#*", "LIMIT#*"]);
    assert_eq!(decide([&policy], &ROLE, &put("LOGIN#ana")), Decision::Allowed);
    assert_eq!(decide([&policy], &ROLE, &put("ACCOUNT#ana")), Decision::NotAllowed);
    let batch = Authorization::new("dynamodb:BatchWriteItem", "arn:t")
        .with_all("dynamodb:LeadingKeys", Some(vec!["LOGIN#a".into(), "ACCOUNT#b".into()]));
    assert_eq!(decide([&policy], &ROLE, &batch), Decision::NotAllowed);
    // IAM's own rule: "every value" of a request without the key is vacuously true.
    let scan = Authorization::new("dynamodb:Scan", "arn:t");
    assert_eq!(decide([&policy], &ROLE, &scan), Decision::Allowed);
}

#[test]
fn absent_keys_follow_iams_rules_for_each_operator() {
    let scan = Authorization::new("dynamodb:Scan", "arn:t");
    let any = leading_keys("ForAnyValue:StringEquals", &["A"]);
    let plain = leading_keys("StringEquals", &["A"]);
    let negated = leading_keys("StringNotLike", &["A*"]);
    let if_exists = leading_keys("StringEqualsIfExists", &["A"]);
    assert_eq!(decide([&any], &ROLE, &scan), Decision::NotAllowed);
    assert_eq!(decide([&plain], &ROLE, &scan), Decision::NotAllowed);
    assert_eq!(decide([&negated], &ROLE, &scan), Decision::Allowed);
    assert_eq!(decide([&if_exists], &ROLE, &scan), Decision::Allowed);
    assert_eq!(decide([&negated], &ROLE, &put("ABC")), Decision::NotAllowed);
    assert_eq!(decide([&negated], &ROLE, &put("BCD")), Decision::Allowed);
}

#[test]
fn what_cannot_be_evaluated_never_lets_a_request_in() {
    let unknown_key = policy(json!([{
        "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}
    }]));
    assert_eq!(decide([&unknown_key], &ROLE, &put("A")), Decision::NotAllowed);
    let unknown_operator = policy(json!([{
        "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
        "Condition": {"DateGreaterThan": {"dynamodb:LeadingKeys": "2020"}}
    }]));
    let allow = policy(json!([{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]));
    assert_eq!(decide([&allow, &unknown_operator], &ROLE, &put("A")), Decision::Denied);
    let unread_keys = Authorization::new("dynamodb:Query", "arn:t").with_values("dynamodb:LeadingKeys", None);
    let conditional = leading_keys("ForAllValues:StringLike", &["*"]);
    assert_eq!(decide([&conditional], &ROLE, &unread_keys), Decision::NotAllowed);
}

#[test]
fn resource_policies_apply_to_the_principals_they_name() {
    let bucket = policy(json!([
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/public/*"},
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:role/r"]}, "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::b/*"}
    ]));
    let get = Authorization::new("s3:GetObject", "arn:aws:s3:::b/public/x");
    let put = Authorization::new("s3:PutObject", "arn:aws:s3:::b/x");
    assert_eq!(decide([&bucket], &Caller::Anonymous, &get), Decision::Allowed);
    assert_eq!(decide([&bucket], &Caller::Anonymous, &put), Decision::NotAllowed);
    assert_eq!(decide([&bucket], &ROLE, &put), Decision::Allowed);
    // The account names its roles to deny them, never to allow them on its own.
    let account = |effect: &str| {
        policy(
            json!([{"Effect": effect, "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:*",
                       "Resource": "*"}]),
        )
    };
    assert_eq!(decide([&account("Allow")], &ROLE, &put), Decision::NotAllowed);
    assert_eq!(decide([&bucket, &account("Deny")], &ROLE, &put), Decision::Denied);
}

#[test]
fn requests_travel_over_tls_as_they_do_to_aws() {
    let allow = policy(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    let deny = |secure: &str| {
        policy(json!([{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                       "Condition": {"Bool": {"aws:SecureTransport": secure}}}]))
    };
    let get = Authorization::new("s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(decide([&allow, &deny("false")], &ROLE, &get), Decision::Allowed);
    assert_eq!(decide([&allow, &deny("true")], &ROLE, &get), Decision::Denied);
}

#[test]
fn malformed_statements_are_refused() {
    assert!(Policy::parse(&json!({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]})).is_err());
    assert!(Policy::parse(&json!({"Statement": [{"Effect": "Allow", "Action": "*"}]})).is_err());
    assert!(Policy::parse(
        &json!({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*",
                                                "Resource": "*"}]})
    )
    .is_err());
    assert!(Policy::parse(&json!({"Version": "2012-10-17"})).is_err());
}

#[test]
fn wildcards_match_as_iam_does() {
    assert!(wildcard_match("s3:Get*", "s3:GetObject"));
    assert!(wildcard_match("arn:aws:s3:::b/a?/*", "arn:aws:s3:::b/ab/c/d"));
    assert!(!wildcard_match("arn:aws:s3:::b/a?/*", "arn:aws:s3:::B/ab/c"));
    assert!(wildcard_match("*a*b*c*", "xxaxxbxxcxx"));
    assert!(!wildcard_match("*a*b*c*", "xxaxxcxxbxx"));
    assert!(wildcard_match("", ""));
    assert!(
        wildcard_match("ads/?.jpg", "ads/ñ.jpg"),
        "? is one character, not one byte"
    );
    assert!(
        wildcard_match("ads/?.jpg", "ads/ñ.jpg"),
        "? is one character, not one byte"
    );
    assert!(!wildcard_match("", "a"));
    // Many stars on a long value: no exponential backtracking.
    let long = "a".repeat(10_000);
    assert!(!wildcard_match("*a*a*a*a*a*a*a*a*b", &long));
}
