//! Dotted parameter names, built on the stack as visitors descend.

use std::fmt;

/// The dotted name of a parameter, built on the stack as visitors descend.
///
/// ```
/// use katachi::param::ParamPath;
/// let root = ParamPath::ROOT;
/// let net = root.child("affine1");
/// assert_eq!(net.child("weight").to_string(), "affine1.weight");
/// ```
#[derive(Clone, Copy)]
pub struct ParamPath<'a> {
    parent: Option<&'a ParamPath<'a>>,
    name: &'a str,
}

impl<'a> ParamPath<'a> {
    /// The empty path at the top of a network.
    pub const ROOT: ParamPath<'static> = ParamPath {
        parent: None,
        name: "",
    };

    /// This path extended by one segment.
    pub fn child<'b>(&'b self, name: &'b str) -> ParamPath<'b> {
        ParamPath {
            parent: Some(self),
            name,
        }
    }
}

impl fmt::Display for ParamPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parent {
            Some(parent) if parent.parent.is_some() => write!(f, "{parent}.{}", self.name),
            _ => f.write_str(self.name),
        }
    }
}

impl fmt::Debug for ParamPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ParamPath({self})")
    }
}
