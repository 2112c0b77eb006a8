//! The struct lifted into a small model, with everything that cannot be a
//! network rejected at the narrowest span.

use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::attr::{self, ContainerAttrs};
use crate::ctxt::Ctxt;

/// A struct that can be a network.
pub(crate) struct Network<'a> {
    /// The whole input, for generics and the name.
    pub(crate) original: &'a DeriveInput,
    /// Struct-level attributes.
    pub(crate) attrs: ContainerAttrs,
    /// The layer fields in declaration order (skipped fields left out).
    pub(crate) layers: Vec<LayerField<'a>>,
}

/// One field that is a layer.
pub(crate) struct LayerField<'a> {
    /// The field's name.
    pub(crate) ident: &'a Ident,
    /// The field's type.
    pub(crate) ty: &'a Type,
}

const SHAPE_HINT: &str =
    "e.g. `struct Net { affine1: Affine<784, 50>, relu: Relu, affine2: Affine<50, 10> }`";

impl<'a> Network<'a> {
    /// Lifts `input`, or returns every reason it cannot be a network.
    pub(crate) fn from_syn(input: &'a DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        let attrs = attr::container(&mut cx, &input.attrs);
        let mut layers = Vec::new();
        match &input.data {
            Data::Enum(e) => cx.error_spanned_by(
                e.enum_token,
                format!("#[derive(Network)] needs a struct with one named field per layer, not an enum; {SHAPE_HINT}"),
            ),
            Data::Union(u) => cx.error_spanned_by(
                u.union_token,
                format!("#[derive(Network)] needs a struct with one named field per layer, not a union; {SHAPE_HINT}"),
            ),
            Data::Struct(s) => match &s.fields {
                Fields::Unnamed(f) => cx.error_spanned_by(
                    f,
                    format!("#[derive(Network)] needs named fields, so parameters get names like `affine1.weight`; {SHAPE_HINT}"),
                ),
                Fields::Unit => cx.error_spanned_by(
                    &input.ident,
                    format!("a unit struct has no layers; give it one named field per layer, {SHAPE_HINT}"),
                ),
                Fields::Named(named) => {
                    for field in &named.named {
                        let field_attrs = attr::field(&mut cx, &field.attrs);
                        if !field_attrs.skip {
                            let ident = field.ident.as_ref().expect("named fields have names");
                            layers.push(LayerField { ident, ty: &field.ty });
                        }
                    }
                    if named.named.is_empty() {
                        cx.error_spanned_by(
                            named,
                            format!("the network has no layers; add one named field per layer, {SHAPE_HINT}"),
                        );
                    } else if layers.is_empty() {
                        cx.error_spanned_by(named, "every field is `#[network(skip)]`; a network needs at least one layer");
                    }
                }
            },
        }
        cx.check()?;
        Ok(Self {
            original: input,
            attrs,
            layers,
        })
    }
}
