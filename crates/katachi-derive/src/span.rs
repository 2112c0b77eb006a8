//! Where rustc puts the caret: tokens given the span of the field they
//! are about.

use proc_macro2::{Group, Span, TokenStream, TokenTree};

/// Gives every token `span`. rustc reports an unsatisfied bound at the span
/// of the whole generic argument, and tokens interpolated from elsewhere
/// (the `::katachi` paths, earlier fields' types) would pull it back to the
/// derive attribute; respanning keeps the caret on the field.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}
