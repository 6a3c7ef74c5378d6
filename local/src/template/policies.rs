//! A function's execution role as SAM builds it from the function's `Policies`: SAM policy
//! templates expanded with SAM's own definitions (`policy_templates.json` of the pinned
//! `aws-sam-translator`, read from the venv), inline policy documents as written, managed
//! policies by ARN, and the managed policies SAM adds for the function's event sources.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::intrinsics::{NoNames, Resolver};
use super::{EventSource, Function, Stack, TemplateError};

/// SAM's policy templates (`DynamoDBCrudPolicy`, `SQSSendMessagePolicy`, ...) by name.
#[derive(Debug, Clone, Default)]
pub struct SamPolicyTemplates {
    templates: serde_json::Map<String, Value>,
}

/// The policies of one execution role.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Role {
    /// Policy documents (`{"Statement": [...]}`), intrinsics resolved.
    pub documents: Vec<Value>,
    /// Managed policy ARNs, those SAM adds included.
    pub managed: Vec<String>,
}

impl SamPolicyTemplates {
    /// Reads SAM's `policy_templates.json` from the Python environment in `venv`.
    pub fn from_venv(venv: &Path) -> Result<Self, TemplateError> {
        let path = Self::locate(venv).ok_or_else(|| {
            TemplateError::Invalid(format!(
                "SAM's policy templates (samtranslator/policy_templates_data/policy_templates.json) are not in {}: \
                 run `make setup`",
                venv.display()
            ))
        })?;
        Self::parse(&std::fs::read_to_string(&path)?)
    }

    pub fn parse(json: &str) -> Result<Self, TemplateError> {
        let mut file: Value = serde_json::from_str(json)
            .map_err(|error| TemplateError::Invalid(format!("SAM's policy templates: {error}")))?;
        match file.get_mut("Templates").map(Value::take) {
            Some(Value::Object(templates)) => Ok(SamPolicyTemplates { templates }),
            _ => Err(TemplateError::Invalid(
                "SAM's policy templates have no Templates map".into(),
            )),
        }
    }

    fn locate(venv: &Path) -> Option<PathBuf> {
        std::fs::read_dir(venv.join("lib"))
            .ok()?
            .filter_map(Result::ok)
            .map(|python| {
                python
                    .path()
                    .join("site-packages/samtranslator/policy_templates_data/policy_templates.json")
            })
            .find(|path| path.is_file())
    }

    /// `name` with `parameters` (already resolved) substituted, as SAM expands it.
    fn expand(&self, name: &str, parameters: &Value, stack: &Stack) -> Result<Value, TemplateError> {
        let template = self
            .templates
            .get(name)
            .ok_or_else(|| TemplateError::Invalid(format!("{name} is not a SAM policy template")))?;
        let mut values = super::pseudo_parameters(&stack.name, &stack.region, &stack.account_id);
        let declared = template.get("Parameters").and_then(Value::as_object);
        for parameter in declared.into_iter().flat_map(|p| p.keys()) {
            let value = parameters.get(parameter).ok_or_else(|| {
                TemplateError::Invalid(format!("the policy template {name} needs its {parameter} parameter"))
            })?;
            let text = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
            values.insert(parameter.clone(), text);
        }
        let definition = serde_yaml::to_value(&template["Definition"])?;
        Resolver {
            names: &NoNames,
            values: &values,
        }
        .resolve(&definition)
    }
}

/// The role of `function`: its `Policies` and the managed policies SAM adds for it.
pub fn role(function: &Function, stack: &Stack, templates: &SamPolicyTemplates) -> Result<Role, TemplateError> {
    let within = |error: TemplateError| TemplateError::Invalid(format!("{}: Policies: {error}", function.logical_id));
    // Every role SAM makes may write logs; pull event sources add their poller's policy.
    let mut role = Role {
        managed: vec![managed_arn("service-role/AWSLambdaBasicExecutionRole")],
        ..Role::default()
    };
    for source in &function.events {
        let managed = match source {
            EventSource::Sqs(_) => "service-role/AWSLambdaSQSQueueExecutionRole",
            EventSource::DynamoDb(_) => "service-role/AWSLambdaDynamoDBExecutionRole",
            _ => continue,
        };
        if !role.managed.contains(&managed_arn(managed)) {
            role.managed.push(managed_arn(managed));
        }
    }
    for policy in &function.policies {
        match policy {
            Value::String(name) if name.starts_with("arn:") => role.managed.push(name.clone()),
            // SAM accepts a managed policy by name and makes the ARN.
            Value::String(name) => role.managed.push(managed_arn(name)),
            Value::Object(document) if document.contains_key("Statement") => role.documents.push(policy.clone()),
            Value::Object(invocation) if invocation.len() == 1 => {
                let (name, parameters) = invocation.iter().next().expect("one entry");
                role.documents
                    .push(templates.expand(name, parameters, stack).map_err(within)?);
            }
            other => return Err(within(TemplateError::Invalid(format!("cannot read {other}")))),
        }
    }
    Ok(role)
}

fn managed_arn(name: &str) -> String {
    format!("arn:aws:iam::aws:policy/{name}")
}
