//! IAM for the local stack, as AWS applies it: every call a function makes is checked against
//! the policies of its execution role (built from the template as SAM builds it, see
//! [`crate::template::role`]) and, for S3, the bucket's policy; unsigned S3 requests against
//! the bucket policies alone. An explicit deny wins; without an allow nothing passes; a request
//! whose IAM action the platform cannot name is refused, never guessed.

mod dynamodb;
mod managed;
pub mod policy;
mod s3;
mod sqs;

use std::collections::HashMap;

use serde_json::Value;

use super::sigv4::SignedRequest;
use crate::template::{self, SamPolicyTemplates, Stack};
use policy::{decide, Authorization, Caller, Decision, Policy};
use sqs::SqsRequest;

/// One request to the backend, as the front door received it, and the operation it is.
pub struct Call<'a> {
    /// The front door's operation name: `DynamoDB.PutItem`, `SQS.SendMessage`, `S3.PUT` ...
    pub operation: &'a str,
    pub request: SignedRequest<'a>,
}

/// Why a call was refused: AWS's own wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial(pub String);

/// The stack's region and account, and each table's partition keys (`dynamodb:LeadingKeys`).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    region: String,
    account: String,
    /// Table name → partition key attribute of the table and of each index.
    partition_keys: HashMap<String, PartitionKeys>,
}

#[derive(Debug, Clone, Default)]
struct PartitionKeys {
    table: String,
    indexes: HashMap<String, String>,
}

/// An execution role: who it is and what it may do.
#[derive(Debug, Clone)]
struct Role {
    /// `arn:aws:sts::<account>:assumed-role/<role>/<function>`: the caller AWS names in a denial.
    session: String,
    /// `arn:aws:iam::<account>:role/<role>`: how a bucket policy names it.
    arn: String,
    policies: Vec<Policy>,
}

/// The roles of the stack's functions and the policies of its buckets.
#[derive(Debug, Clone, Default)]
pub struct Iam {
    scope: Scope,
    roles: HashMap<String, Role>,
    bucket_policies: HashMap<String, Policy>,
}

impl Role {
    fn principal<'a>(&'a self, scope: &'a Scope) -> Caller<'a> {
        Caller::Role {
            arn: &self.arn,
            session: &self.session,
            account: &scope.account,
        }
    }
}

impl Iam {
    /// Every function's role and every bucket policy of `stack`.
    pub fn for_stack(stack: &Stack, templates: &SamPolicyTemplates) -> Result<Iam, String> {
        let mut iam = Iam {
            scope: Scope::for_stack(stack),
            ..Iam::default()
        };
        for function in &stack.functions {
            let role = template::role(function, stack, templates).map_err(|e| e.to_string())?;
            let within = |error: String| format!("{}: {error}", function.logical_id);
            let mut policies = role
                .documents
                .iter()
                .map(Policy::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(within)?;
            for arn in &role.managed {
                policies.push(managed::policy(arn).map_err(within)?);
            }
            let role_name = format!("{}-{}Role", stack.name, function.logical_id);
            iam.roles.insert(
                function.logical_id.clone(),
                Role {
                    session: format!(
                        "arn:aws:sts::{}:assumed-role/{role_name}/{}",
                        stack.account_id, function.name
                    ),
                    arn: format!("arn:aws:iam::{}:role/{role_name}", stack.account_id),
                    policies,
                },
            );
        }
        for bucket in &stack.buckets {
            if let Some(document) = &bucket.policy {
                let policy =
                    Policy::parse(document).map_err(|e| format!("{}'s bucket policy: {e}", bucket.logical_id))?;
                iam.bucket_policies.insert(bucket.name.clone(), policy);
            }
        }
        Ok(iam)
    }

    /// Whether the role of `function` (a logical id) may make `call`.
    pub fn authorize(&self, function: &str, call: &Call) -> Result<(), Denial> {
        let role = self
            .roles
            .get(function)
            .ok_or_else(|| Denial(format!("{function} has no execution role")))?;
        let authorizations = self.authorizations(call).map_err(Denial)?;
        if authorizations.is_empty() {
            return Err(Denial(format!("{} asks for nothing IAM could allow", call.operation)));
        }
        for request in &authorizations {
            let bucket_policy = self.bucket_policy(request);
            let decision = decide(
                role.policies.iter().chain(bucket_policy),
                &role.principal(&self.scope),
                request,
            );
            let why = match decision {
                Decision::Allowed => continue,
                Decision::NotAllowed => {
                    format!("because no identity-based policy allows the {} action", request.action)
                }
                Decision::Denied => "with an explicit deny in an identity-based policy".to_string(),
            };
            return Err(Denial(format!(
                "User: {} is not authorized to perform: {} on resource: {} {why}",
                role.session, request.action, request.resource
            )));
        }
        Ok(())
    }

    /// Whether the bucket policies let anyone make `call` unsigned.
    pub fn allows_anonymous(&self, call: &Call) -> bool {
        let Ok(authorizations) = self.authorizations(call) else {
            return false;
        };
        !authorizations.is_empty()
            && authorizations.iter().all(|request| {
                let policy = self.bucket_policy(request);
                policy.is_some() && decide(policy, &Caller::Anonymous, request) == Decision::Allowed
            })
    }

    fn authorizations(&self, call: &Call) -> Result<Vec<Authorization>, String> {
        let (service, operation) = call.operation.split_once('.').unwrap_or((call.operation, ""));
        match service {
            "DynamoDB" | "DynamoDBStreams" => dynamodb::authorizations(&self.scope, operation, call.request.body),
            "SQS" => {
                let request = match call.request.headers.contains_key("x-amz-target") {
                    true => SqsRequest::json(call.request.body)?,
                    false => SqsRequest::form(call.request.query, call.request.headers, call.request.body),
                };
                sqs::authorizations(&self.scope, operation, &request)
            }
            _ => s3::authorizations(
                call.request.method,
                call.request.path,
                call.request.query,
                call.request.headers,
                call.request.body,
            ),
        }
    }

    /// The policy of the bucket an S3 authorization is about.
    fn bucket_policy(&self, request: &Authorization) -> Option<&Policy> {
        let bucket = request.resource.strip_prefix("arn:aws:s3:::")?;
        self.bucket_policies.get(bucket.split('/').next()?)
    }
}

impl Scope {
    fn for_stack(stack: &Stack) -> Scope {
        let hash_key = |schema: &Value| {
            schema
                .as_array()
                .into_iter()
                .flatten()
                .find(|key| key["KeyType"] == "HASH")
                .and_then(|key| key["AttributeName"].as_str())
                .map(str::to_string)
        };
        let partition_keys = stack
            .tables
            .iter()
            .filter_map(|table| {
                let indexes = ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
                    .iter()
                    .flat_map(|kind| table.properties[*kind].as_array().into_iter().flatten())
                    .filter_map(|index| {
                        Some((index["IndexName"].as_str()?.to_string(), hash_key(&index["KeySchema"])?))
                    })
                    .collect();
                let keys = PartitionKeys {
                    table: hash_key(&table.properties["KeySchema"])?,
                    indexes,
                };
                Some((table.name.clone(), keys))
            })
            .collect();
        Scope {
            region: stack.region.clone(),
            account: stack.account_id.clone(),
            partition_keys,
        }
    }

    fn table_arn(&self, table: &str) -> String {
        if table.starts_with("arn:") {
            return table.to_string();
        }
        format!("arn:aws:dynamodb:{}:{}:table/{table}", self.region, self.account)
    }

    /// `dynamodb:<operation>` on the table, or on one of its indexes.
    fn on_table(&self, operation: &str, table: &str, index: Option<&str>) -> Authorization {
        let resource = match index {
            Some(index) => format!("{}/index/{index}", self.table_arn(table)),
            None => self.table_arn(table),
        };
        Authorization::new(format!("dynamodb:{operation}"), resource)
    }

    fn partition_attribute(&self, table: &str, index: Option<&str>) -> Option<&String> {
        let keys = self.partition_keys.get(table)?;
        match index {
            Some(index) => keys.indexes.get(index),
            None => Some(&keys.table),
        }
    }

    /// The partition key value of `item` (a key or a whole item), as IAM compares it.
    fn partition_value(&self, table: &str, index: Option<&str>, item: &Value) -> Option<String> {
        attribute_text(&item[self.partition_attribute(table, index)?])
    }

    /// The value of the equality on the partition key among a query's `equalities`.
    fn partition_value_among(
        &self,
        table: &str,
        index: Option<&str>,
        equalities: &[(String, &Value)],
    ) -> Option<String> {
        let attribute = self.partition_attribute(table, index)?;
        let (_, value) = equalities.iter().find(|(name, _)| name == attribute)?;
        attribute_text(value)
    }

    /// A stream ARN as the template names it (`!GetAtt Table.StreamArn`): in the stack's region
    /// and account, labelled `local` (dynoxide files streams under its own, with a timestamp).
    fn stream_arn(&self, arn: &str) -> String {
        let table = arn
            .split_once(":table/")
            .map_or(arn, |(_, rest)| rest.split('/').next().unwrap_or(rest));
        format!("{}/stream/local", self.table_arn(table))
    }

    fn queue_arn(&self, account: &str, name: &str) -> String {
        format!("arn:aws:sqs:{}:{account}:{name}", self.region)
    }

    #[cfg(test)]
    fn for_tests() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            partition_keys: HashMap::from([(
                "andes-Table".to_string(),
                PartitionKeys {
                    table: "pk".into(),
                    indexes: HashMap::from([("gsi1".to_string(), "gsi1pk".to_string())]),
                },
            )]),
        }
    }
}

/// A DynamoDB attribute value as IAM sees it: the string of an `S`, `N` or `B`.
fn attribute_text(value: &Value) -> Option<String> {
    ["S", "N", "B"]
        .iter()
        .find_map(|kind| value[*kind].as_str())
        .map(str::to_string)
}

#[cfg(test)]
mod tests;
