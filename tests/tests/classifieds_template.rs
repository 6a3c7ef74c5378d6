//! Template settings of the classifieds background functions that the local platform cannot
//! show by running them (AWS timing and retry behaviour): read from `template.yaml` itself.
//! Raw YAML, not `andes_tests::template`: that reader fills in `Globals` and defaults; these check what is written.

use andes_tests::template::template_path;
use serde_yaml::Value;

fn template() -> Value {
    let text = std::fs::read_to_string(template_path()).expect("read template.yaml");
    serde_yaml::from_str(&text).expect("parse template.yaml")
}

fn resource<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc.get("Resources")
        .and_then(|r| r.get(id))
        .unwrap_or_else(|| panic!("no resource {id}"))
}

/// `!Ref Name` (a tagged scalar in serde_yaml) → `Name`.
fn ref_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!Ref" => tagged.value.as_str().map(str::to_string),
        _ => None,
    }
}

/// A number, or the default of the parameter a `!Ref` names.
fn number(doc: &Value, value: &Value) -> u64 {
    if let Some(n) = value.as_u64() {
        return n;
    }
    let parameter = ref_target(value).unwrap_or_else(|| panic!("not a number or !Ref: {value:?}"));
    doc["Parameters"][parameter.as_str()]["Default"]
        .as_u64()
        .unwrap_or_else(|| panic!("{parameter} has no numeric Default"))
}

#[test]
fn the_publisher_has_time_for_a_batch_and_its_queue_outlasts_six_timeouts() {
    let doc = template();
    let publisher = resource(&doc, "ClassifiedsPublisherFunction");
    let timeout = publisher["Properties"]["Timeout"]
        .as_u64()
        .expect("the publisher sets its own Timeout");
    assert!(
        timeout >= 30,
        "a batch of 5 jobs of up to 10 copies each needs more than {timeout} s"
    );
    let queue = resource(&doc, "ClassifiedsPublicationQueue");
    let visibility = number(&doc, &queue["Properties"]["VisibilityTimeout"]);
    assert!(
        visibility >= 6 * timeout,
        "publication queue VisibilityTimeout {visibility} < 6 x {timeout}"
    );
}

#[test]
fn image_uploaded_failures_go_to_a_queue_instead_of_being_dropped() {
    let doc = template();
    let function = resource(&doc, "ClassifiedsImageUploadedFunction");
    let config = &function["Properties"]["EventInvokeConfig"];
    assert!(
        config["MaximumRetryAttempts"].as_u64().is_some(),
        "retries are explicit"
    );
    let on_failure = &config["DestinationConfig"]["OnFailure"];
    assert_eq!(on_failure["Type"].as_str(), Some("SQS"));
    let Value::Tagged(destination) = &on_failure["Destination"] else {
        panic!("Destination is not !GetAtt")
    };
    let target = destination
        .value
        .as_str()
        .unwrap_or_default()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(resource(&doc, &target)["Type"].as_str(), Some("AWS::SQS::Queue"));
}
