//! `#[network(...)]` attributes: `input = Type` on the struct, `skip` on a field.

use syn::{Attribute, Type};

use crate::ctxt::Ctxt;

/// The attribute's name, written once.
const NETWORK: &str = "network";
/// `#[network(skip)]`: the field is not a layer.
const SKIP: &str = "skip";
/// `#[network(input = Type)]`: the network's input, when the first layer
/// takes any shape.
const INPUT: &str = "input";

/// What the struct-level attributes say.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    /// `input = Type`.
    pub(crate) input: Option<Type>,
}

/// What a field's attributes say.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// `skip`.
    pub(crate) skip: bool,
}

/// Calls `each` on every key inside every `#[network(...)]`.
fn for_each_key(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    mut each: impl FnMut(&mut Ctxt, syn::meta::ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(NETWORK)) {
        if let Err(e) = attr.parse_nested_meta(|meta| each(cx, meta)) {
            cx.syn_error(e);
        }
    }
}

fn key(meta: &syn::meta::ParseNestedMeta<'_>) -> String {
    meta.path
        .get_ident()
        .map_or_else(|| "?".to_string(), ToString::to_string)
}

/// Reads the struct's `#[network(...)]` attributes.
pub(crate) fn container(cx: &mut Ctxt, attrs: &[Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for_each_key(cx, attrs, |cx, meta| {
        if meta.path.is_ident(INPUT) {
            let ty: Type = meta.value()?.parse()?;
            if out.input.is_some() {
                cx.error_spanned_by(&meta.path, "duplicate `#[network(input = ...)]`");
            }
            out.input = Some(ty);
            Ok(())
        } else if meta.path.is_ident(SKIP) {
            Err(meta.error("`skip` goes on a field that is not a layer, not on the struct"))
        } else {
            Err(meta.error(format!(
                "unknown network attribute `{}`; on the struct the only one is `input = Type`",
                key(&meta)
            )))
        }
    });
    out
}

/// Reads a field's `#[network(...)]` attributes.
pub(crate) fn field(cx: &mut Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for_each_key(cx, attrs, |cx, meta| {
        if meta.path.is_ident(SKIP) {
            if out.skip {
                cx.error_spanned_by(&meta.path, "duplicate `#[network(skip)]`");
            }
            out.skip = true;
            Ok(())
        } else if meta.path.is_ident(INPUT) {
            Err(meta.error("`input = Type` goes on the struct, not on a field"))
        } else {
            Err(meta.error(format!(
                "unknown network attribute `{}`; on a field the only one is `skip`",
                key(&meta)
            )))
        }
    });
    out
}
