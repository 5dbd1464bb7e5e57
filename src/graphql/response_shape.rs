//! The response's shape as the GraphQL specification requires it when a
//! field raises an error (October 2021, §6.4.4 "Handling Field Errors" and
//! §7.1.2 "Errors and Non-Null Fields"): the field's entry is `null`, and
//! when the field's type is non-null the `null` propagates to the nearest
//! nullable parent position (a field or a list item), up to `data` itself.
//!
//! async-graphql 7.2.1 does neither: a field whose resolver fails is left
//! out of its object (`do_resolve_container` keeps only the fields that
//! resolved, and an object none of whose fields resolved becomes `null`).
//! Typed clients read a missing key as a cache miss or a malformed answer.
//! This module repairs the value tree after execution from the errors'
//! paths, the operation's selections and the schema's field types. It runs
//! only for responses that carry an error with a path, so answers without
//! errors cost nothing.

use std::collections::{HashMap, HashSet};

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, OperationType, Selection, SelectionSet, ServiceDocument,
    Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Response, ServerError, Value};

use super::api::selected_operation;

/// The output field types of a schema: type name → field name → type.
#[derive(Debug, Default, Clone)]
pub struct FieldTypes(HashMap<String, HashMap<String, Type>>);

impl FieldTypes {
    /// The object types' fields of the schema written as `sdl` (a schema
    /// that does not parse gives no types, and nothing is repaired).
    pub fn from_sdl(sdl: &str) -> Self {
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return FieldTypes::default();
        };
        FieldTypes::from_document(document)
    }

    fn from_document(document: ServiceDocument) -> Self {
        let mut types = HashMap::new();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = ty.node;
            let fields = match ty.kind {
                TypeKind::Object(object) => object.fields,
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            let fields = fields
                .into_iter()
                .map(|f| (f.node.name.node.to_string(), f.node.ty.node))
                .collect();
            types.insert(ty.name.node.to_string(), fields);
        }
        FieldTypes(types)
    }

    /// Whether the object type `object` has the field `field`.
    pub fn has_field(&self, object: &str, field: &str) -> bool {
        self.0
            .get(object)
            .is_some_and(|fields| fields.contains_key(field))
    }

    fn of(&self, object: &str, field: &str) -> Option<Type> {
        if field == "__typename" {
            return Some(Type {
                base: BaseType::Named(Name::new("String")),
                nullable: false,
            });
        }
        self.0.get(object)?.get(field).cloned()
    }
}

/// One position on an error's path: whether `null` may stand there, and
/// for a field, the selections of the object it belongs to (for the order
/// of its keys).
struct Step<'d> {
    nullable: bool,
    parent: Vec<&'d SelectionSet>,
}

/// Puts `response.data` into the shape the specification requires, given
/// the document it answered. `operation_name` picks the operation as
/// execution did.
pub fn conform(
    types: &FieldTypes,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    response: &mut Response,
) {
    if response.errors.iter().all(|e| e.path.is_empty()) {
        return;
    }
    let Some(operation) = selected_operation(document, operation_name) else {
        return;
    };
    let root = root_type(operation.node.ty);
    let top = &operation.node.selection_set.node;
    // Where each error's null lands; None: on `data` itself.
    let mut targets: Vec<Option<Target<'_, '_>>> = Vec::new();
    for error in &response.errors {
        if let Some(target) = target_of(types, document, root, top, error) {
            targets.push(target);
        }
    }
    if targets.iter().any(Option::is_none) {
        response.data = Value::Null;
        return;
    }
    let mut targets: Vec<_> = targets.into_iter().flatten().collect();
    // Shallow first, so a position under one already nulled is left alone
    // (it is gone with its parent) instead of being rebuilt.
    targets.sort_by_key(|(path, _)| path.len());
    let mut nulled: Vec<&[PathSegment]> = Vec::new();
    if response.data == Value::Null {
        // Every root field failed: the root object was collapsed.
        response.data = Value::Object(IndexMap::new());
    }
    for (path, steps) in targets {
        if nulled.iter().any(|done| path.starts_with(done)) {
            continue;
        }
        set_null(&mut response.data, path, &steps, document);
        nulled.push(path);
    }
}

/// A position to null: its path and the steps that lead to it.
type Target<'e, 'd> = (&'e [PathSegment], Vec<Step<'d>>);

/// The position an error's null lands on: its field, or the nearest
/// nullable position above it. `None` inside: `data` itself. The outer
/// `None`: the path does not match the operation (left alone).
fn target_of<'e, 'd>(
    types: &FieldTypes,
    document: &'d ExecutableDocument,
    root: &str,
    top: &'d SelectionSet,
    error: &'e ServerError,
) -> Option<Option<Target<'e, 'd>>> {
    if error.path.is_empty() {
        return None;
    }
    let steps = steps(types, document, root, top, &error.path)?;
    let mut depth = steps.len();
    while depth > 0 && !steps[depth - 1].nullable {
        depth -= 1;
    }
    if depth == 0 {
        return Some(None);
    }
    let mut steps = steps;
    steps.truncate(depth);
    Some(Some((&error.path[..depth], steps)))
}

/// The positions along `path`, with their types' nullability.
fn steps<'d>(
    types: &FieldTypes,
    document: &'d ExecutableDocument,
    root: &str,
    top: &'d SelectionSet,
    path: &[PathSegment],
) -> Option<Vec<Step<'d>>> {
    let mut steps = Vec::with_capacity(path.len());
    let mut object = root.to_owned();
    let mut selection: Vec<&SelectionSet> = vec![top];
    let mut current: Option<Type> = None;
    for segment in path {
        match segment {
            PathSegment::Field(key) => {
                if let Some(ty) = &current {
                    object = named(ty).to_owned();
                }
                let matching: Vec<&Field> = collect_fields(document, &selection)
                    .into_iter()
                    .filter(|f| f.response_key().node.as_str() == key)
                    .collect();
                let first = matching.first()?;
                let ty = types.of(&object, first.name.node.as_str())?;
                steps.push(Step {
                    nullable: ty.nullable,
                    parent: selection,
                });
                selection = matching.iter().map(|f| &f.selection_set.node).collect();
                current = Some(ty);
            }
            PathSegment::Index(_) => {
                let BaseType::List(item) = &current.as_ref()?.base else {
                    return None;
                };
                let item = (**item).clone();
                steps.push(Step {
                    nullable: item.nullable,
                    parent: Vec::new(),
                });
                current = Some(item);
            }
        }
    }
    Some(steps)
}

/// The root object type of an operation type (the schema keeps the
/// default names).
pub fn root_type(operation: OperationType) -> &'static str {
    match operation {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    }
}

/// The innermost named type of `ty` (`[User!]!` → `User`).
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// The fields of `sets` in document order, fragments expanded (the
/// specification's CollectFields; directives are not evaluated: a field
/// that was skipped has neither a value nor an error to place).
pub(crate) fn collect_fields<'d>(
    document: &'d ExecutableDocument,
    sets: &[&'d SelectionSet],
) -> Vec<&'d Field> {
    let mut fields = Vec::new();
    let mut visited = HashSet::new();
    for set in sets {
        collect_into(document, set, &mut fields, &mut visited);
    }
    fields
}

fn collect_into<'d>(
    document: &'d ExecutableDocument,
    set: &'d SelectionSet,
    fields: &mut Vec<&'d Field>,
    visited: &mut HashSet<&'d str>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => fields.push(&field.node),
            Selection::InlineFragment(fragment) => {
                collect_into(document, &fragment.node.selection_set.node, fields, visited)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if !visited.insert(name) {
                    continue;
                }
                if let Some(fragment) = document.fragments.get(name) {
                    collect_into(document, &fragment.node.selection_set.node, fields, visited);
                }
            }
        }
    }
}

/// Sets the position `path` to null, creating the entry if execution left
/// it out, and keeps the object's keys in selection order.
fn set_null(
    data: &mut Value,
    path: &[PathSegment],
    steps: &[Step<'_>],
    document: &ExecutableDocument,
) {
    let mut current = data;
    for (i, segment) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        match segment {
            PathSegment::Field(key) => {
                if *current == Value::Null {
                    // An object none of whose fields resolved was collapsed
                    // to null; its fields' own errors place them again.
                    *current = Value::Object(IndexMap::new());
                }
                let Value::Object(map) = current else {
                    return;
                };
                if last {
                    map.insert(Name::new(key), Value::Null);
                    order_keys(map, &steps[i].parent, document);
                    return;
                }
                match map.get_mut(key.as_str()) {
                    Some(value) => current = value,
                    None => return,
                }
            }
            PathSegment::Index(index) => {
                let Value::List(items) = current else {
                    return;
                };
                let Some(item) = items.get_mut(*index) else {
                    return;
                };
                if last {
                    *item = Value::Null;
                    return;
                }
                current = item;
            }
        }
    }
}

/// Reorders `map`'s keys as the selections `sets` list them (the order the
/// specification's execution produces); keys not found keep their order
/// at the end.
fn order_keys(
    map: &mut IndexMap<Name, Value>,
    sets: &[&SelectionSet],
    document: &ExecutableDocument,
) {
    let mut order: Vec<&str> = Vec::new();
    for field in collect_fields(document, sets) {
        let key = field.response_key().node.as_str();
        if !order.contains(&key) {
            order.push(key);
        }
    }
    let mut old = std::mem::take(map);
    for key in order {
        if let Some((name, value)) = old.shift_remove_entry(key) {
            map.insert(name, value);
        }
    }
    map.extend(old);
}

#[cfg(test)]
mod tests {
    use async_graphql::value;

    use super::*;

    const SDL: &str = r#"
        type Query { me: User!  user(id: ID!): User  users: [User]!  strict: [User!]! }
        type Subscription { updates: Status! }
        type User { id: ID!  name: String  wallet: Wallet!  friends: [User!] }
        type Wallet { balance: Int!  note: String }
        type Status { streak: Int! }
    "#;

    /// (what it shows, query, data as executed, error paths, data as sent)
    type Case = (
        &'static str,
        &'static str,
        Value,
        Vec<&'static [&'static str]>,
        Value,
    );

    fn error_at(path: &[&str]) -> ServerError {
        let mut error = ServerError::new("boom", None);
        error.path = path
            .iter()
            .map(|s| match s.parse::<usize>() {
                Ok(i) => PathSegment::Index(i),
                Err(_) => PathSegment::Field((*s).to_owned()),
            })
            .collect();
        error
    }

    fn conformed(query: &str, data: Value, errors: &[&[&str]]) -> Value {
        let types = FieldTypes::from_sdl(SDL);
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut response = Response::new(data);
        response.errors = errors.iter().map(|p| error_at(p)).collect();
        conform(&types, &document, None, &mut response);
        response.data
    }

    #[test]
    fn field_errors_become_null_or_propagate_to_the_nearest_nullable_parent() {
        let cases: Vec<Case> = vec![
            (
                "a nullable field that failed is null, in selection order",
                "{ user(id: 1) { id } me { id } }",
                value!({ "me": { "id": "2" } }),
                vec![&["user"]],
                value!({ "user": null, "me": { "id": "2" } }),
            ),
            (
                "a non-null root field that failed nulls data",
                "{ __typename me { id } }",
                value!({ "__typename": "Query" }),
                vec![&["me"]],
                Value::Null,
            ),
            (
                "an alias is the key, and every root field failing still places them",
                "{ a: user(id: 1) { id } b: user(id: 2) { id } }",
                Value::Null,
                vec![&["b"], &["a"]],
                value!({ "a": null, "b": null }),
            ),
            (
                "non-null through non-null objects up to a nullable field",
                "{ user(id: 1) { id wallet { balance } } me { id } }",
                value!({ "user": { "id": "1", "wallet": null }, "me": { "id": "2" } }),
                vec![&["user", "wallet", "balance"]],
                value!({ "user": null, "me": { "id": "2" } }),
            ),
            (
                "a nullable field inside a non-null object stays local",
                "{ me { wallet { balance note } } }",
                value!({ "me": { "wallet": { "balance": 5 } } }),
                vec![&["me", "wallet", "note"]],
                value!({ "me": { "wallet": { "balance": 5, "note": null } } }),
            ),
            (
                "a nullable list item takes the null",
                "{ users { id wallet { balance } } }",
                value!({ "users": [ { "id": "1", "wallet": null }, { "id": "2", "wallet": { "balance": 1 } } ] }),
                vec![&["users", "0", "wallet", "balance"]],
                value!({ "users": [ null, { "id": "2", "wallet": { "balance": 1 } } ] }),
            ),
            (
                "non-null items and a non-null list propagate to data",
                "{ strict { id wallet { balance } } }",
                value!({ "strict": [ { "id": "1", "wallet": null } ] }),
                vec![&["strict", "0", "wallet", "balance"]],
                Value::Null,
            ),
            (
                "a nullable list of non-null items nulls the list",
                "{ me { id friends { id wallet { balance } } } }",
                value!({ "me": { "id": "1", "friends": [ { "id": "2", "wallet": null } ] } }),
                vec![&["me", "friends", "0", "wallet", "balance"]],
                value!({ "me": { "id": "1", "friends": null } }),
            ),
            (
                "fragments are expanded to find the field and the order",
                "{ me { ...W id } } fragment W on User { name wallet { ... on Wallet { note } } }",
                value!({ "me": { "wallet": { "note": "n" }, "id": "1" } }),
                vec![&["me", "name"]],
                value!({ "me": { "name": null, "wallet": { "note": "n" }, "id": "1" } }),
            ),
            (
                "a null under a null already placed is not rebuilt",
                "{ user(id: 1) { id name wallet { balance } } }",
                value!({ "user": { "id": "1", "wallet": null } }),
                vec![&["user", "name"], &["user", "wallet", "balance"]],
                value!({ "user": null }),
            ),
            (
                "errors without a path change nothing",
                "{ me { id } }",
                value!({ "me": { "id": "1" } }),
                vec![&[]],
                value!({ "me": { "id": "1" } }),
            ),
        ];
        for (name, query, data, errors, want) in cases {
            assert_eq!(conformed(query, data, &errors), want, "{name}");
        }
    }

    #[test]
    fn subscription_events_follow_the_same_rule() {
        assert_eq!(
            conformed(
                "subscription { updates { streak } }",
                value!({ "updates": null }),
                &[&["updates", "streak"]],
            ),
            Value::Null
        );
    }
}
