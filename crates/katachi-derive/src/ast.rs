//! The struct lifted into a small model, with everything that cannot be a
//! network rejected at the narrowest span.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
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

impl Network<'_> {
    /// The representative input the shape checks start from, and that the
    /// network reports through `FixedInput`: the declared one, or what the
    /// first field takes.
    pub(crate) fn input(&self) -> TokenStream {
        match &self.attrs.input {
            Some(ty) => quote!(#ty),
            None => {
                let first = self.layers[0].ty;
                quote_spanned!(first.span()=> <#first as ::katachi::check::FixedInput>::Input)
            }
        }
    }
}

/// One field that is a layer.
pub(crate) struct LayerField<'a> {
    /// The field's name.
    pub(crate) ident: &'a Ident,
    /// The field's type.
    pub(crate) ty: &'a Type,
}

const SHAPE_HINT: &str =
    "\ne.g. `struct Net { affine1: Affine<784, 50>, relu: Relu, affine2: Affine<50, 10> }`";

/// Types that are certainly not layers: what a struct also holds
/// (counters, names, settings). Caught here so the error is one line at
/// the field; any other type that is not a layer is caught by the type
/// checks, less tersely.
const NOT_LAYERS: &[&str] = &[
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64", "String", "Vec", "Option", "Box", "HashMap", "BTreeMap",
    "HashSet", "BTreeSet", "PathBuf", "Rc", "Arc", "Cell", "RefCell", "Duration", "Instant",
];

/// katachi's layers that take any shape, and so cannot tell a network's
/// input when they come first.
const ANY_SHAPE: &[&str] = &[
    "Relu",
    "Sigmoid",
    "Tanh",
    "Dropout",
    "Flatten",
    "MaxPool2d",
    "Conv2d",
    "BatchNorm",
];

/// The last segment of a plain type path, `Relu` for `katachi::layer::Relu<f64>`.
fn last_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(g) => last_name(&g.elem),
        Type::Paren(p) => last_name(&p.elem),
        _ => None,
    }
}

/// Whether `ty` is certainly not a layer.
fn is_not_a_layer(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) | Type::Ptr(_) | Type::Array(_) | Type::Slice(_) | Type::BareFn(_) => {
            true
        }
        Type::Never(_) => true,
        Type::Tuple(t) => t.elems.is_empty(),
        _ => last_name(ty).is_some_and(|name| NOT_LAYERS.contains(&name.as_str())),
    }
}

impl Network<'_> {
    /// Whether the struct has no generics: its types are then known where
    /// it is defined, so it is checked there and its impls are written for
    /// those types.
    pub(crate) fn is_concrete(&self) -> bool {
        self.original.generics.params.is_empty()
    }
}

impl<'a> Network<'a> {
    /// Lifts `input`, or returns every reason it cannot be a network.
    pub(crate) fn from_syn(input: &'a DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        let attrs = attr::container(&mut cx, &input.attrs);
        let mut layers = Vec::new();
        match &input.data {
            Data::Enum(e) => cx.error_spanned_by(
                e.enum_token,
                format!("#[derive(Network)] needs a struct with one named field per layer, not an enum{SHAPE_HINT}"),
            ),
            Data::Union(u) => cx.error_spanned_by(
                u.union_token,
                format!("#[derive(Network)] needs a struct with one named field per layer, not a union{SHAPE_HINT}"),
            ),
            Data::Struct(s) => match &s.fields {
                Fields::Unnamed(f) => cx.error_spanned_by(
                    f,
                    format!("#[derive(Network)] needs named fields, so parameters get names like `affine1.weight`{SHAPE_HINT}"),
                ),
                Fields::Unit => cx.error_spanned_by(
                    &input.ident,
                    format!("a unit struct has no layers; give it one named field per layer{SHAPE_HINT}"),
                ),
                Fields::Named(named) => {
                    for field in &named.named {
                        let field_attrs = attr::field(&mut cx, &field.attrs);
                        if !field_attrs.skip {
                            let ident = field.ident.as_ref().expect("named fields have names");
                            if is_not_a_layer(&field.ty) {
                                let ty = &field.ty;
                                cx.error_spanned_by(
                                    ty,
                                    format!(
                                        "`{}` is not a layer; mark a field that is not one `#[network(skip)]`",
                                        quote::quote!(#ty).to_string().replace(' ', "")
                                    ),
                                );
                            }
                            layers.push(LayerField { ident, ty: &field.ty });
                        }
                    }
                    if named.named.is_empty() {
                        cx.error_spanned_by(
                            named,
                            format!("the network has no layers; add one named field per layer{SHAPE_HINT}"),
                        );
                    } else if layers.is_empty() {
                        cx.error_spanned_by(named, "every field is `#[network(skip)]`; a network needs at least one layer");
                    }
                }
            },
        }
        if let (None, Some(first)) = (&attrs.input, layers.first())
            && let Some(name) = last_name(first.ty).filter(|n| ANY_SHAPE.contains(&n.as_str()))
        {
            let example = if matches!(name.as_str(), "Conv2d" | "MaxPool2d") {
                "Tensor<Nchw<1, 28, 28>>"
            } else {
                "Tensor<Batch<784>>"
            };
            cx.error_spanned_by(
                first.ty,
                format!(
                    "`{name}` takes any shape, so it cannot tell the network's input\n\
                     declare it on the struct, e.g. `#[network(input = {example})]`"
                ),
            );
        }
        cx.check()?;
        Ok(Self {
            original: input,
            attrs,
            layers,
        })
    }
}
