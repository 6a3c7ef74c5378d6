use super::*;

fn options() -> StackOptions {
    StackOptions {
        stack_name: "andes-local".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        endpoint: "http://127.0.0.1:5000".into(),
        parameter_overrides: BTreeMap::from([("QueueVisibilityTimeoutSeconds".into(), "4".into())]),
    }
}

fn project_stack() -> Stack {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    load(&path, &options()).expect("the project's template loads")
}

#[test]
fn project_template_resolves_names_and_overrides() {
    let stack = project_stack();
    let table = stack.table("IdentityTable").unwrap();
    assert_eq!(table.name, "andes-local-IdentityTable");
    let queue = stack.queue("NotificationsQueue").unwrap();
    assert_eq!(
        queue.url,
        "http://127.0.0.1:5000/123456789012/andes-local-NotificationsQueue"
    );
    assert_eq!(queue.visibility_timeout, Duration::from_secs(4));
    let redrive = queue.redrive.as_ref().unwrap();
    assert_eq!(redrive.dead_letter_queue, "NotificationsDeadLetterQueue");
    assert_eq!(redrive.max_receive_count, 3);
    assert_eq!(stack.bucket("OutboxBucket").unwrap().name, "andes-local-outboxbucket");
}

#[test]
fn functions_get_globals_environment_and_events() {
    let stack = project_stack();
    let signup = stack.function("IdentitySignupFunction").unwrap();
    assert_eq!(signup.binary, "identity-signup");
    assert_eq!(signup.timeout, Duration::from_secs(10));
    assert_eq!(signup.environment["IDENTITY_TABLE"], "andes-local-IdentityTable");
    assert!(
        signup.environment["JWT_SECRET"].len() >= 32,
        "NoEcho secret is generated"
    );
    let notifier = stack.function("IdentityNotifierFunction").unwrap();
    assert_eq!(notifier.timeout, Duration::from_secs(5));
    match &notifier.events[0] {
        EventSource::Sqs(source) => {
            assert_eq!(source.queue, "NotificationsQueue");
            assert!(source.report_batch_item_failures);
            assert_eq!(source.batch_size, 10);
        }
        other => panic!("expected an SQS source, got {other:?}"),
    }
}

#[test]
fn routes_carry_their_authorizer() {
    let stack = project_stack();
    let routes: BTreeMap<String, Option<String>> = stack
        .routes()
        .map(|(_, r)| (r.route_key(), r.authorizer.clone()))
        .collect();
    assert_eq!(routes["POST /identity/signup"].as_deref(), Some("Optional"));
    assert_eq!(routes["GET /identity/me"].as_deref(), Some("Required"));
    let api = stack.api("IdentityApi").unwrap();
    assert_eq!(
        api.authorizers["Required"].identity_headers,
        vec!["Authorization".to_string()]
    );
    assert!(api.authorizers["Optional"].identity_headers.is_empty());
    assert_eq!(api.authorizers["Required"].cache_ttl, Duration::ZERO);
}

const SMALL: &str = r#"
Parameters:
  Env: { Type: String }
Globals:
  Function:
    Timeout: 7
    Environment: { Variables: { SHARED: one, OVERRIDDEN: global } }
Resources:
  Jobs: { Type: AWS::SQS::Queue, Properties: { QueueName: !Sub "${Env}-jobs" } }
  Table:
    Type: AWS::DynamoDB::Table
    Properties: { StreamSpecification: { StreamViewType: NEW_IMAGE } }
  Worker:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: worker } }
    Properties:
      Environment: { Variables: { OVERRIDDEN: own, QUEUE: !Ref Jobs } }
      Events:
        Tick: { Type: Schedule, Properties: { Schedule: rate(20 minutes) } }
        Changes:
          Type: DynamoDB
          Properties: { Stream: !GetAtt Table.StreamArn, StartingPosition: TRIM_HORIZON, MaximumRetryAttempts: 2 }
        Open: { Type: HttpApi, Properties: { Path: /open, Method: get } }
"#;

#[test]
fn small_template_with_required_parameter() {
    let mut options = options();
    options.parameter_overrides = BTreeMap::new();
    assert!(matches!(parse(SMALL, &options), Err(TemplateError::Invalid(m)) if m.contains("Env")));
    options.parameter_overrides.insert("Env".into(), "dev".into());
    let stack = parse(SMALL, &options).unwrap();
    let worker = stack.function("Worker").unwrap();
    assert_eq!(worker.environment["SHARED"], "one");
    assert_eq!(worker.environment["OVERRIDDEN"], "own");
    assert_eq!(
        worker.environment["QUEUE"],
        "http://127.0.0.1:5000/123456789012/dev-jobs"
    );
    assert_eq!(worker.timeout, Duration::from_secs(7));
    assert!(matches!(&worker.events[0], EventSource::Schedule(s) if s.expression == "rate(20 minutes)"));
    assert!(
        matches!(&worker.events[1], EventSource::DynamoDb(s) if s.table == "Table" && s.maximum_retry_attempts == Some(2))
    );
    assert!(
        matches!(&worker.events[2], EventSource::HttpApi(r) if r.route_key() == "GET /open" && r.api == "ServerlessHttpApi" && r.authorizer.is_none())
    );
    assert!(stack.api("ServerlessHttpApi").is_some());
}

#[test]
fn unknown_override_is_refused() {
    let mut options = options();
    options.parameter_overrides.insert("Nope".into(), "1".into());
    assert!(parse(SMALL, &options).is_err());
}

#[test]
fn bucket_policies_attach_to_their_bucket() {
    let stack = project_stack();
    let images = stack.bucket("ClassifiedsImagesBucket").unwrap();
    let policy = images.policy.as_ref().expect("the images bucket has a policy");
    assert_eq!(
        policy["Statement"][0]["Resource"],
        "arn:aws:s3:::andes-local-classifiedsimagesbucket/ads/*"
    );
    assert!(stack.bucket("OutboxBucket").unwrap().policy.is_none());
    assert_eq!(
        stack.bucket("ClassifiedsUploadsBucket").unwrap().name,
        "andes-local-classifieds-uploads-123456789012"
    );
}

const THROTTLED: &str = r#"
Parameters:
  Burst: { Type: Number, Default: 200 }
  Rate: { Type: Number, Default: 100 }
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefaultRouteSettings:
        ThrottlingBurstLimit: !Ref Burst
        ThrottlingRateLimit: !Ref Rate
      RouteSettings:
        "POST /login": { ThrottlingBurstLimit: 5, ThrottlingRateLimit: 0.5 }
        "GET /items/{id}": { ThrottlingRateLimit: 3 }
        "GET /open": { DetailedMetricsEnabled: true }
  Handler:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: handler } }
    Properties:
      Events:
        Login: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /login, Method: post } }
        Item: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: "/items/{id}", Method: get } }
        Open: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /open, Method: get } }
"#;

#[test]
fn http_api_throttling_resolves_parameters_and_route_settings() {
    let mut options = options();
    options.parameter_overrides = BTreeMap::from([("Burst".into(), "100000".into())]);
    let stack = parse(THROTTLED, &options).unwrap();
    let api = stack.api("Api").unwrap();
    assert_eq!(
        api.default_throttling,
        Throttling {
            burst_limit: Some(100_000),
            rate_limit: Some(100.0)
        }
    );
    assert_eq!(
        api.route_throttling["POST /login"],
        Throttling {
            burst_limit: Some(5),
            rate_limit: Some(0.5)
        }
    );
    assert_eq!(
        api.route_throttling["GET /items/{id}"],
        Throttling {
            burst_limit: None,
            rate_limit: Some(3.0)
        }
    );
    assert!(
        !api.route_throttling.contains_key("GET /open"),
        "settings without limits do not throttle"
    );
}

#[test]
fn http_api_throttling_is_checked() {
    let options = || {
        let mut options = options();
        options.parameter_overrides = BTreeMap::new();
        options
    };
    let unknown_route = THROTTLED.replace("\"POST /login\"", "\"POST /nope\"");
    assert!(matches!(parse(&unknown_route, &options()), Err(TemplateError::Invalid(m)) if m.contains("POST /nope")));
    let mut negative = options();
    negative.parameter_overrides.insert("Rate".into(), "-1".into());
    assert!(matches!(parse(THROTTLED, &negative), Err(TemplateError::Invalid(m)) if m.contains("ThrottlingRateLimit")));
    let mut fractional = options();
    fractional.parameter_overrides.insert("Burst".into(), "2.5".into());
    assert!(
        matches!(parse(THROTTLED, &fractional), Err(TemplateError::Invalid(m)) if m.contains("ThrottlingBurstLimit"))
    );
}

#[test]
fn every_project_api_declares_stage_throttling() {
    let stack = project_stack();
    let burst = stack.parameters["ApiThrottlingBurstLimit"]
        .value
        .parse::<u64>()
        .unwrap();
    let rate = stack.parameters["ApiThrottlingRateLimit"].value.parse::<f64>().unwrap();
    for id in ["IdentityApi", "InfractionsApi", "ClassifiedsApi", "RidesApi"] {
        let api = stack.api(id).unwrap();
        assert_eq!(
            api.default_throttling,
            Throttling {
                burst_limit: Some(burst),
                rate_limit: Some(rate)
            },
            "{id}"
        );
    }
}

const FILTERED: &str = r#"
Resources:
  Jobs: { Type: AWS::SQS::Queue }
  Table:
    Type: AWS::DynamoDB::Table
    Properties: { StreamSpecification: { StreamViewType: NEW_IMAGE } }
  Worker:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: worker } }
    Properties:
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"kind": ["welcome"]}}'
                - Pattern: !Sub '{"eventSourceARN": ["${Jobs.Arn}"], "body": [{"prefix": "plain:"}]}'
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "V#"}]}}}}'
        Unfiltered:
          Type: SQS
          Properties: { Queue: !GetAtt Jobs.Arn, FilterCriteria: {} }
"#;

fn filters_of(stack: &Stack, function: &str, event: &str) -> Vec<FilterPattern> {
    let function = stack.function(function).unwrap();
    let source = function.events.iter().find_map(|e| match e {
        EventSource::Sqs(s) if s.event_name == event => Some(s.filters.clone()),
        EventSource::DynamoDb(s) if s.event_name == event => Some(s.filters.clone()),
        _ => None,
    });
    source.unwrap_or_else(|| panic!("{event} is not an SQS or DynamoDB event"))
}

#[test]
fn filter_criteria_are_parsed_per_event() {
    let mut options = options();
    options.parameter_overrides = BTreeMap::new();
    let stack = parse(FILTERED, &options).unwrap();
    let work = filters_of(&stack, "Worker", "Work");
    assert_eq!(work.len(), 2);
    assert_eq!(
        work[1],
        filters::parse_pattern(
            r#"{"eventSourceARN": ["arn:aws:sqs:us-east-1:123456789012:andes-local-Jobs"], "body": [{"prefix": "plain:"}]}"#,
            None
        )
        .unwrap(),
        "intrinsics are resolved before the pattern is parsed"
    );
    assert_eq!(filters_of(&stack, "Worker", "Changes").len(), 1);
    assert!(filters_of(&stack, "Worker", "Unfiltered").is_empty());
}

#[test]
fn a_malformed_filter_names_its_function_and_event() {
    let mut options = options();
    options.parameter_overrides = BTreeMap::new();
    let broken = FILTERED.replace(r#"[{"prefix": "V#"}]"#, r#"[{"prefix": "V#"}"#);
    let Err(TemplateError::Invalid(message)) = parse(&broken, &options) else {
        panic!("a pattern that is not JSON is refused");
    };
    assert!(
        message.starts_with("Worker.Events.Changes: FilterCriteria.Filters[0].Pattern"),
        "{message}"
    );
    let plain_stream_data = FILTERED.replace(
        r#""dynamodb": {"Keys": {"sk": {"S": [{"prefix": "V#"}]}}}"#,
        r#""dynamodb": [{"exists": true}]"#,
    );
    assert!(
        matches!(parse(&plain_stream_data, &options), Err(TemplateError::Invalid(m)) if m.contains("\"dynamodb\" must be an object"))
    );
    let unknown_operator = FILTERED.replace(r#"{"kind": ["welcome"]}"#, r#"{"kind": [{"wildcard": "wel*"}]}"#);
    assert!(
        matches!(parse(&unknown_operator, &options), Err(TemplateError::Invalid(m)) if m.starts_with("Worker.Events.Work: FilterCriteria.Filters[0]") && m.contains("wildcard"))
    );
}

#[test]
fn deliveries_stream_functions_get_only_the_records_they_act_on() {
    let stack = project_stack();
    let pattern = |text: &str| filters::parse_pattern(text, Some("dynamodb")).unwrap();
    let inserted_events = r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "V#"}]}}}}"#;
    assert_eq!(
        filters_of(&stack, "DeliveriesProjectorFunction", "Appended"),
        vec![pattern(inserted_events)]
    );
    assert_eq!(
        filters_of(&stack, "DeliveriesSagaFunction", "Appended"),
        vec![
            pattern(
                r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "V#"}]}},
                    "NewImage": {"type": {"S": ["OrderReceived", "OrderStored"]}}}}"#
            ),
            pattern(r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": ["TRANSPORT"]}}}}"#),
        ]
    );
    assert!(filters_of(&stack, "DeliveriesSagaFunction", "Steps").is_empty());
}
