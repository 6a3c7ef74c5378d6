//! CloudFormation intrinsic functions, resolved against the local stack: `!Ref`, `!GetAtt`,
//! `!Sub`, `!Join`, `!Select`, `!Split`, in short (`!Ref`) and long (`{"Ref": ..}`) forms.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serde_yaml::Value as Yaml;

use super::TemplateError;

/// What `!Ref` and `!GetAtt` mean for each logical id of the local stack.
pub trait Names {
    fn reference(&self, logical_id: &str) -> Option<String>;
    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<String>;
}

/// Names no resource: for text that may only use parameters and pseudo-parameters (explicit
/// physical names, SAM's policy templates).
pub struct NoNames;
impl Names for NoNames {
    fn reference(&self, _: &str) -> Option<String> {
        None
    }
    fn attribute(&self, _: &str, _: &str) -> Option<String> {
        None
    }
}

pub struct Resolver<'a> {
    pub names: &'a dyn Names,
    /// Parameter and pseudo-parameter values (`AWS::Region`, ...).
    pub values: &'a BTreeMap<String, String>,
}

impl Resolver<'_> {
    /// Converts a YAML node into JSON with every intrinsic function resolved.
    pub fn resolve(&self, node: &Yaml) -> Result<Value, TemplateError> {
        Ok(match node {
            Yaml::Null => Value::Null,
            Yaml::Bool(b) => Value::Bool(*b),
            Yaml::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
            Yaml::String(s) => Value::String(s.clone()),
            Yaml::Sequence(items) => {
                let mut resolved = Vec::with_capacity(items.len());
                for item in items {
                    let value = self.resolve(item)?;
                    if !is_no_value(&value) {
                        resolved.push(value);
                    }
                }
                Value::Array(resolved)
            }
            Yaml::Tagged(tagged) => {
                let name = tagged.tag.to_string();
                let function = name.trim_start_matches('!');
                let function = if function == "Ref" {
                    "Ref".to_string()
                } else {
                    format!("Fn::{function}")
                };
                self.intrinsic(&function, &tagged.value)?
            }
            Yaml::Mapping(map) => {
                if map.len() == 1 {
                    if let Some((Yaml::String(key), argument)) = map.iter().next() {
                        if key == "Ref" || key.starts_with("Fn::") {
                            return self.intrinsic(key, argument);
                        }
                    }
                }
                let mut object = Map::new();
                for (key, value) in map {
                    let key = match key {
                        Yaml::String(s) => s.clone(),
                        other => serde_yaml::to_string(other).unwrap_or_default().trim().to_string(),
                    };
                    let value = self.resolve(value)?;
                    if !is_no_value(&value) {
                        object.insert(key, value);
                    }
                }
                Value::Object(object)
            }
        })
    }

    /// Resolves a node that must end up a string.
    pub fn string(&self, node: &Yaml) -> Result<String, TemplateError> {
        match self.resolve(node)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(TemplateError::Invalid(format!("expected a string, found {other}"))),
        }
    }

    fn intrinsic(&self, function: &str, argument: &Yaml) -> Result<Value, TemplateError> {
        match function {
            "Ref" => {
                let name = self.string(argument)?;
                self.reference(&name).map(Value::String)
            }
            "Fn::GetAtt" => {
                let (logical_id, attribute) = match argument {
                    Yaml::String(dotted) => dotted
                        .split_once('.')
                        .map(|(l, a)| (l.to_string(), a.to_string()))
                        .ok_or_else(|| TemplateError::Invalid(format!("!GetAtt {dotted} needs Resource.Attribute")))?,
                    Yaml::Sequence(parts) if parts.len() == 2 => (self.string(&parts[0])?, self.string(&parts[1])?),
                    other => return Err(TemplateError::Invalid(format!("malformed !GetAtt {other:?}"))),
                };
                self.names
                    .attribute(&logical_id, &attribute)
                    .map(Value::String)
                    .ok_or_else(|| TemplateError::Unresolved(format!("{logical_id}.{attribute}")))
            }
            "Fn::Sub" => {
                let (text, variables) = match argument {
                    Yaml::String(text) => (text.clone(), BTreeMap::new()),
                    Yaml::Sequence(parts) if parts.len() == 2 => {
                        let text = self.string(&parts[0])?;
                        let mut variables = BTreeMap::new();
                        if let Yaml::Mapping(map) = &parts[1] {
                            for (key, value) in map {
                                if let Yaml::String(key) = key {
                                    variables.insert(key.clone(), self.string(value)?);
                                }
                            }
                        }
                        (text, variables)
                    }
                    other => return Err(TemplateError::Invalid(format!("malformed !Sub {other:?}"))),
                };
                self.substitute(&text, &variables).map(Value::String)
            }
            "Fn::Join" => {
                let Yaml::Sequence(parts) = argument else {
                    return Err(TemplateError::Invalid("!Join needs [delimiter, [values]]".into()));
                };
                let delimiter = parts.first().map(|d| self.string(d)).transpose()?.unwrap_or_default();
                let values = match parts.get(1).map(|v| self.resolve(v)).transpose()? {
                    Some(Value::Array(values)) => values,
                    _ => return Err(TemplateError::Invalid("!Join needs a list of values".into())),
                };
                let strings: Vec<String> = values.iter().map(plain_string).collect();
                Ok(Value::String(strings.join(&delimiter)))
            }
            "Fn::Select" => {
                let Yaml::Sequence(parts) = argument else {
                    return Err(TemplateError::Invalid("!Select needs [index, list]".into()));
                };
                let index: usize = parts
                    .first()
                    .map(|i| self.string(i))
                    .transpose()?
                    .and_then(|i| i.parse().ok())
                    .ok_or_else(|| TemplateError::Invalid("!Select index must be a number".into()))?;
                match parts.get(1).map(|v| self.resolve(v)).transpose()? {
                    Some(Value::Array(values)) => values
                        .get(index)
                        .cloned()
                        .ok_or_else(|| TemplateError::Invalid(format!("!Select index {index} out of range"))),
                    _ => Err(TemplateError::Invalid("!Select needs a list".into())),
                }
            }
            "Fn::Split" => {
                let Yaml::Sequence(parts) = argument else {
                    return Err(TemplateError::Invalid("!Split needs [delimiter, text]".into()));
                };
                let delimiter = parts.first().map(|d| self.string(d)).transpose()?.unwrap_or_default();
                let text = parts.get(1).map(|t| self.string(t)).transpose()?.unwrap_or_default();
                Ok(Value::Array(
                    text.split(delimiter.as_str())
                        .map(|s| Value::String(s.into()))
                        .collect(),
                ))
            }
            other => Err(TemplateError::Invalid(format!(
                "intrinsic function {other} is not supported locally"
            ))),
        }
    }

    fn reference(&self, name: &str) -> Result<String, TemplateError> {
        if name == "AWS::NoValue" {
            return Ok(NO_VALUE.to_string());
        }
        self.values
            .get(name)
            .cloned()
            .or_else(|| self.names.reference(name))
            .ok_or_else(|| TemplateError::Unresolved(name.to_string()))
    }

    fn substitute(&self, text: &str, variables: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            // `${!Literal}` stays as `${Literal}`.
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::Invalid(format!("unclosed ${{ in !Sub {text}")))?;
            let name = &after[..end];
            let value = match variables.get(name) {
                Some(value) => value.clone(),
                None => match name.split_once('.') {
                    Some((logical_id, attribute)) if !name.starts_with("AWS::") => self
                        .names
                        .attribute(logical_id, attribute)
                        .ok_or_else(|| TemplateError::Unresolved(name.to_string()))?,
                    _ => self.reference(name)?,
                },
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Marker for `!Ref AWS::NoValue`: the property is dropped.
const NO_VALUE: &str = "\u{0}AWS::NoValue";

fn is_no_value(value: &Value) -> bool {
    value.as_str() == Some(NO_VALUE)
}

fn plain_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The logical id a `!Ref X`, `!GetAtt X.Attr` or `{"Ref": "X"}` node points at, if any.
pub fn referenced_logical_id(node: &Yaml) -> Option<String> {
    match node {
        Yaml::Tagged(tagged) => match &tagged.value {
            Yaml::String(s) => Some(s.split('.').next().unwrap_or(s).to_string()),
            Yaml::Sequence(parts) => parts.first().and_then(Yaml::as_str).map(str::to_string),
            _ => None,
        },
        Yaml::Mapping(map) if map.len() == 1 => {
            let (key, value) = map.iter().next()?;
            match (key.as_str()?, value) {
                ("Ref", Yaml::String(s)) => Some(s.clone()),
                ("Fn::GetAtt", Yaml::String(s)) => Some(s.split('.').next().unwrap_or(s).to_string()),
                ("Fn::GetAtt", Yaml::Sequence(parts)) => parts.first().and_then(Yaml::as_str).map(str::to_string),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Names for Fixed {
        fn reference(&self, logical_id: &str) -> Option<String> {
            (logical_id == "Table").then(|| "stack-Table".to_string())
        }
        fn attribute(&self, logical_id: &str, attribute: &str) -> Option<String> {
            (logical_id == "Queue" && attribute == "Arn").then(|| "arn:queue".to_string())
        }
    }

    fn resolve(yaml: &str) -> Result<Value, TemplateError> {
        let values = BTreeMap::from([("AWS::Region".to_string(), "us-east-1".to_string())]);
        let resolver = Resolver {
            names: &Fixed,
            values: &values,
        };
        resolver.resolve(&serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn resolves_short_and_long_forms() {
        assert_eq!(resolve("!Ref Table").unwrap(), "stack-Table");
        assert_eq!(resolve("{Ref: Table}").unwrap(), "stack-Table");
        assert_eq!(resolve("!GetAtt Queue.Arn").unwrap(), "arn:queue");
        assert_eq!(resolve("{'Fn::GetAtt': [Queue, Arn]}").unwrap(), "arn:queue");
    }

    #[test]
    fn substitutes_references_and_literals() {
        assert_eq!(
            resolve("!Sub '${Table}-${AWS::Region}-${Queue.Arn}-${!Keep}'").unwrap(),
            "stack-Table-us-east-1-arn:queue-${Keep}"
        );
        assert_eq!(
            resolve("!Sub ['${x}/${Table}', {x: !Ref Table}]").unwrap(),
            "stack-Table/stack-Table"
        );
        assert_eq!(resolve("!Join ['-', [a, !Ref Table]]").unwrap(), "a-stack-Table");
        assert_eq!(resolve("!Select [1, !Split [',', 'a,b,c']]").unwrap(), "b");
    }

    #[test]
    fn no_value_drops_the_property_and_unknowns_fail() {
        assert_eq!(
            resolve("{a: 1, b: !Ref AWS::NoValue}").unwrap(),
            serde_json::json!({"a": 1})
        );
        assert!(matches!(resolve("!Ref Missing"), Err(TemplateError::Unresolved(_))));
    }

    #[test]
    fn finds_referenced_logical_ids() {
        let node: Yaml = serde_yaml::from_str("!GetAtt Queue.Arn").unwrap();
        assert_eq!(referenced_logical_id(&node).as_deref(), Some("Queue"));
        let node: Yaml = serde_yaml::from_str("!Ref Api").unwrap();
        assert_eq!(referenced_logical_id(&node).as_deref(), Some("Api"));
    }
}
