//! The size of a document once its fragments are expanded, bounded before
//! async-graphql sees the document.
//!
//! Why this walks a parse before async-graphql has validated it:
//! async-graphql 7.2's own first steps expand fragment spreads without
//! remembering what they expanded (`check_recursive_depth` in its
//! `schema.rs`, then the complexity and depth visitors of its validation,
//! which run in `VisitMode::Inline`). A 1.2 KB document whose fragments each
//! spread the next one twice, 30 deep, makes them visit 2^30 selections:
//! minutes of CPU for one anonymous request (issue 23; the same flaw as
//! parse-server's GHSA-mfj6-6p54-m98c). Its own recursion-depth limit stops
//! cycles but not this. So the executor refuses, here, any document whose
//! expanded size exceeds the selection budget; each fragment is sized once
//! (a memo, which is also the visited set that finds cycles), and the walk
//! goes at most [`MAX_FRAGMENT_DEPTH`] fragments deep. Time and stack are
//! linear in the document's text.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::ServerError;

/// How many fragments deep a spread may lead (async-graphql's own
/// recursion-depth default is 32; a real client nests a handful).
pub const MAX_FRAGMENT_DEPTH: usize = 32;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverBudget {
    /// More selections than `max` once fragments are expanded.
    TooManySelections { max: usize },
    /// A fragment spreads itself, directly or through others.
    Cycle { fragment: String },
    /// Fragments spread deeper than [`MAX_FRAGMENT_DEPTH`].
    TooDeep,
}

impl From<OverBudget> for ServerError {
    fn from(refusal: OverBudget) -> Self {
        let message = match refusal {
            OverBudget::TooManySelections { max } => format!(
                "Query is too complex: more than {max} fields selected once fragments are expanded"
            ),
            OverBudget::Cycle { fragment } => {
                format!("Cannot spread fragment \"{fragment}\" within itself")
            }
            OverBudget::TooDeep => {
                format!("Fragments are spread more than {MAX_FRAGMENT_DEPTH} deep")
            }
        };
        ServerError::new(message, None)
    }
}

/// Ok when every operation of `document`, its fragments expanded, selects
/// at most `max` fields (aliases, `__typename` and repeats counted).
/// Unknown fragments count as empty: validation names them.
pub fn check(document: &ExecutableDocument, max: usize) -> Result<(), OverBudget> {
    let mut sizer = Sizer {
        document,
        max,
        sized: HashMap::new(),
    };
    for (_, operation) in document.operations.iter() {
        sizer.selections(&operation.node.selection_set.node, 0)?;
    }
    Ok(())
}

/// The memo of fragment sizes: `None` while a fragment is being sized (a
/// spread of it then is a cycle), its size once known.
struct Sizer<'a> {
    document: &'a ExecutableDocument,
    max: usize,
    sized: HashMap<&'a str, Option<usize>>,
}

impl<'a> Sizer<'a> {
    /// The expanded size of `set`; `depth` is how many fragments deep it is.
    /// Recursion follows the parse's nesting (bounded by async-graphql's
    /// parser) and fragment spreads (bounded by `MAX_FRAGMENT_DEPTH`).
    fn selections(&mut self, set: &'a SelectionSet, depth: usize) -> Result<usize, OverBudget> {
        let mut total: usize = 0;
        for item in &set.items {
            let size = match &item.node {
                Selection::Field(field) => {
                    1 + self.selections(&field.node.selection_set.node, depth)?
                }
                Selection::InlineFragment(fragment) => {
                    self.selections(&fragment.node.selection_set.node, depth)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str(), depth + 1)?
                }
            };
            total = total.saturating_add(size);
            if total > self.max {
                return Err(OverBudget::TooManySelections { max: self.max });
            }
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str, depth: usize) -> Result<usize, OverBudget> {
        match self.sized.get(name) {
            Some(Some(size)) => return Ok(*size),
            Some(None) => {
                return Err(OverBudget::Cycle {
                    fragment: name.to_owned(),
                })
            }
            None => {}
        }
        if depth > MAX_FRAGMENT_DEPTH {
            return Err(OverBudget::TooDeep);
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(0);
        };
        self.sized.insert(name, None);
        let size = self.selections(&fragment.node.selection_set.node, depth)?;
        self.sized.insert(name, Some(size));
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(query: &str, max: usize) -> Result<(), OverBudget> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        check(&document, max)
    }

    /// `levels` fragments, each spreading the next one `fan_out` times.
    fn doubling(levels: usize, fan_out: usize) -> String {
        let mut text = "{ ...G0 }".to_owned();
        for i in 0..levels {
            let spreads = format!(" ...G{}", i + 1).repeat(fan_out);
            text.push_str(&format!(" fragment G{i} on Query {{{spreads} }}"));
        }
        text.push_str(&format!(" fragment G{levels} on Query {{ __typename }}"));
        text
    }

    #[test]
    fn sizes_documents_with_fragments_expanded() {
        let cases: &[(&str, usize, Result<(), OverBudget>)] = &[
            ("{ a b c }", 3, Ok(())),
            ("{ a b c }", 2, Err(OverBudget::TooManySelections { max: 2 })),
            ("{ a { b { c } } }", 3, Ok(())),
            ("{ ...F ...F } fragment F on Query { a b }", 4, Ok(())),
            (
                "{ ...F ...F } fragment F on Query { a b }",
                3,
                Err(OverBudget::TooManySelections { max: 3 }),
            ),
            ("{ ... on Query { a } x: a }", 2, Ok(())),
            ("{ ...Unknown }", 1, Ok(())),
            (
                "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
                100,
                Err(OverBudget::Cycle {
                    fragment: "A".into(),
                }),
            ),
            (
                "{ __schema { queryType { ...T } } } fragment T on __Type { fields { type { ...T } } }",
                100,
                Err(OverBudget::Cycle {
                    fragment: "T".into(),
                }),
            ),
        ];
        for (query, max, expected) in cases {
            assert_eq!(&checked(query, *max), expected, "{query} within {max}");
        }
    }

    #[test]
    fn an_exponential_document_is_refused_in_linear_time() {
        // 2^30 selections once expanded; sized in 31 steps.
        let text = doubling(30, 2);
        assert_eq!(
            checked(&text, 1000),
            Err(OverBudget::TooManySelections { max: 1000 })
        );
        assert_eq!(checked(&doubling(5, 2), 1000), Ok(()));
    }

    #[test]
    fn spreads_too_deep_are_refused() {
        assert_eq!(checked(&doubling(40, 1), 1000), Err(OverBudget::TooDeep));
        assert_eq!(checked(&doubling(20, 1), 1000), Ok(()));
    }
}
