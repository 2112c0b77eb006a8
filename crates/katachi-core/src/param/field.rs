//! One parameter field: its value, gradient and role, and how visitors see it.

use katachi_par::Element;

use super::{Extents, ParamPath, Role};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// A learnable tensor and the gradient backward stored for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Param<S: Shape, E: Element = f32> {
    /// The current value.
    pub value: Tensor<S, E>,
    /// `∂loss/∂value` from the latest backward pass.
    pub grad: Tensor<S, E>,
    /// How it is initialised.
    pub role: Role,
}

impl<S: Shape, E: Element> Param<S, E> {
    /// A parameter with this value, a zero gradient and the given role.
    pub fn new(value: Tensor<S, E>, role: Role) -> Self {
        Self {
            grad: Tensor::zeros(value.shape()),
            value,
            role,
        }
    }

    /// A read-only view for visitors.
    pub fn view(&self) -> ParamView<'_, E> {
        self.view_as(FileForm::AsIs)
    }

    /// A read-only view that says how PyTorch lays the parameter out.
    pub fn view_as(&self, form: FileForm) -> ParamView<'_, E> {
        ParamView {
            value: self.value.as_slice(),
            grad: self.grad.as_slice(),
            dims: Extents::of(self.value.dims().as_ref()),
            role: self.role,
            form,
        }
    }
}

/// How a parameter is laid out in a PyTorch state dict, where that differs
/// from katachi's memory: what a checkpoint in PyTorch's layout converts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FileForm {
    /// The same extents and order (a convolution's `[out, in, k, k]`, a bias).
    #[default]
    AsIs,
    /// A matrix held `[in, out]` here and `[out, in]` in PyTorch
    /// (`Affine`'s weight, `nn.Linear.weight`).
    Transposed,
    /// A count held as one element here and an `int64` scalar in PyTorch
    /// (BatchNorm's `num_batches_tracked`).
    Count,
}

/// A parameter as a visitor sees it, read-only.
#[derive(Debug)]
pub struct ParamView<'a, E> {
    /// Value, row-major.
    pub value: &'a [E],
    /// Gradient, row-major, same length.
    pub grad: &'a [E],
    /// Extents, e.g. `[784, 50]` (held inline: a visit allocates nothing).
    pub dims: Extents,
    /// How it is initialised.
    pub role: Role,
    /// How PyTorch lays it out.
    pub form: FileForm,
}

/// A parameter as a visitor sees it, writable.
#[derive(Debug)]
pub struct ParamMut<'a, E> {
    /// Value, row-major.
    pub value: &'a mut [E],
    /// Gradient, row-major, same length.
    pub grad: &'a mut [E],
    /// Extents, e.g. `[784, 50]`.
    pub dims: &'a [usize],
    /// How it is initialised.
    pub role: Role,
    /// How PyTorch lays it out.
    pub form: FileForm,
}

/// Visits one named [`Param`] field: the building block of `Parameters` impls.
pub fn visit_param<S: Shape, E: Element>(
    param: &Param<S, E>,
    path: &ParamPath<'_>,
    name: &str,
    f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>),
) {
    visit_param_as(param, path, name, FileForm::AsIs, f);
}

/// [`visit_param`] for a parameter PyTorch lays out differently.
pub fn visit_param_as<S: Shape, E: Element>(
    param: &Param<S, E>,
    path: &ParamPath<'_>,
    name: &str,
    form: FileForm,
    f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>),
) {
    f(&path.child(name), param.view_as(form));
}

/// Visits one named [`Param`] field, writable.
pub fn visit_param_mut<S: Shape, E: Element>(
    param: &mut Param<S, E>,
    path: &ParamPath<'_>,
    name: &str,
    f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>),
) {
    visit_param_mut_as(param, path, name, FileForm::AsIs, f);
}

/// [`visit_param_mut`] for a parameter PyTorch lays out differently.
pub fn visit_param_mut_as<S: Shape, E: Element>(
    param: &mut Param<S, E>,
    path: &ParamPath<'_>,
    name: &str,
    form: FileForm,
    f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>),
) {
    let dims = param.value.dims();
    f(
        &path.child(name),
        ParamMut {
            value: param.value.as_mut_slice(),
            grad: param.grad.as_mut_slice(),
            dims: dims.as_ref(),
            role: param.role,
            form,
        },
    );
}
