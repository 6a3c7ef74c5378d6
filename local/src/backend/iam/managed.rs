//! The AWS managed policies a SAM template's roles use, by ARN. Only those written here are
//! known: a role with another fails the start, naming it, rather than guessing its contents.

use serde_json::{json, Value};

use super::policy::Policy;

const LOGS: [&str; 3] = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"];

/// The statements of the managed policy `arn`.
pub fn policy(arn: &str) -> Result<Policy, String> {
    // By name: SAM takes a bare name for an ARN with or without its `service-role/` path.
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let allow = |actions: &[&str]| json!({"Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let with_logs = |actions: &[&str]| -> Value { allow(&[actions, &LOGS[..]].concat()) };
    let document = match name {
        "AWSLambdaBasicExecutionRole" => allow(&LOGS),
        "AWSLambdaSQSQueueExecutionRole" => {
            with_logs(&["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"])
        }
        "AWSLambdaDynamoDBExecutionRole" => with_logs(&[
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        ]),
        "AmazonDynamoDBFullAccess" => allow(&["dynamodb:*"]),
        "AmazonS3FullAccess" => allow(&["s3:*", "s3-object-lambda:*"]),
        "AmazonSQSFullAccess" => allow(&["sqs:*"]),
        _ => {
            return Err(format!(
                "the managed policy {arn} is not known locally: write its statements inline, or add it to {}",
                file!()
            ))
        }
    };
    Policy::parse(&document)
}
