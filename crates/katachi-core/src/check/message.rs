//! Messages built by the compiler, for shape checks that run in constants.

use crate::shape::Shape;

/// Bytes a message holds; longer ones are cut.
const CAPACITY: usize = 480;

/// A message assembled in a `const` context, where `format!` is not
/// available: what compile-time shape checks panic with, so the compiler
/// prints it as the error ("evaluation panicked: `affine1` takes [_, 4000]
/// but `flatten` produces [_, 4320]").
///
/// ```
/// use katachi::check::ConstMessage;
/// use katachi::shape::Const;
/// const M: ConstMessage = ConstMessage::new()
///     .text("takes ")
///     .shape::<(usize, Const<30>, Const<12>)>()
///     .text(", ")
///     .number(4320);
/// assert_eq!(M.as_str(), "takes [_, 30, 12], 4320");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ConstMessage {
    bytes: [u8; CAPACITY],
    len: usize,
    truncated: bool,
}

impl ConstMessage {
    /// An empty message.
    pub const fn new() -> Self {
        Self {
            bytes: [0; CAPACITY],
            len: 0,
            truncated: false,
        }
    }

    /// Appends `text`.
    pub const fn text(mut self, text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            self = self.byte(bytes[i]);
            i += 1;
        }
        self
    }

    /// Appends `n` in decimal.
    pub const fn number(mut self, mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 {
            count -= 1;
            self = self.byte(digits[count]);
        }
        self
    }

    const fn byte(mut self, byte: u8) -> Self {
        if self.len == CAPACITY {
            self.truncated = true;
        } else {
            self.bytes[self.len] = byte;
            self.len += 1;
        }
        self
    }

    /// Appends the shape pattern of `S`: `[_, 30, 12, 12]`, `_` for a
    /// runtime extent.
    pub const fn shape<S: Shape>(self) -> Self {
        let mut out = self.text("[");
        let mut i = 0;
        while i < S::RANK {
            if i > 0 {
                out = out.text(", ");
            }
            out = match S::STATIC_DIMS[i] {
                Some(n) => out.number(n),
                None => out.text("_"),
            };
            i += 1;
        }
        out.text("]")
    }

    /// The message, cut at the capacity if it was longer.
    pub const fn as_str(&self) -> &str {
        let (mut bytes, _) = self.bytes.split_at(self.len);
        // A cut may split a character: drop bytes until the rest is valid.
        loop {
            match core::str::from_utf8(bytes) {
                Ok(text) => return text,
                Err(_) => bytes = bytes.split_at(bytes.len() - 1).0,
            }
        }
    }

    /// Whether the message was longer than the capacity.
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl Default for ConstMessage {
    fn default() -> Self {
        Self::new()
    }
}

/// The message for two neighbouring layers whose shapes differ, or `None`
/// when every static extent agrees (a runtime extent, `_`, agrees with
/// anything it is compared to only if it is `_` too). `taker` is the start
/// of the message ("`affine1` takes "), `giver` the middle ("but `flatten`
/// produces "). Shapes that do not fit (a window too large) are the fault of
/// an earlier layer, reported there, so they give `None` here.
///
/// ```
/// use katachi::check::mismatch_message;
/// use katachi::shape::{Const, Flat, Window};
/// type Pool = Window<Window<Const<28>, 5, 1, 0>, 2, 2, 0>;
/// type Arrives = (usize, Flat<Const<30>, Pool, Pool>);
/// let m = mismatch_message::<Arrives, (usize, Const<4000>)>("`affine1` takes ", " but `flatten` produces ");
/// assert_eq!(m.unwrap().as_str(), "`affine1` takes [_, 4000] but `flatten` produces [_, 4320]");
/// assert!(mismatch_message::<Arrives, (usize, Const<4320>)>("", "").is_none());
/// ```
pub const fn mismatch_message<Arrives: Shape, Takes: Shape>(
    taker: &str,
    giver: &str,
) -> Option<ConstMessage> {
    if !Arrives::FITS
        || (Arrives::RANK == Takes::RANK && same_dims(&Arrives::STATIC_DIMS, &Takes::STATIC_DIMS))
    {
        return None;
    }
    Some(
        ConstMessage::new()
            .text(taker)
            .shape::<Takes>()
            .text(giver)
            .shape::<Arrives>(),
    )
}

/// The message for a layer whose window does not fit what arrives, or
/// `None`: `layer` names it ("`conv1`"), `Arrives` is its input and `Gives`
/// its output. Only the layer that makes the fault reports it.
pub const fn window_message<Arrives: Shape, Gives: Shape>(layer: &str) -> Option<ConstMessage> {
    if !Arrives::FITS {
        return None;
    }
    let Some(fault) = Gives::FAULT else {
        return None;
    };
    let start = ConstMessage::new()
        .text(layer)
        .text(" cannot take ")
        .shape::<Arrives>()
        .text(": its ");
    Some(if fault.stride == 0 {
        start.text("stride is 0")
    } else if fault.window == 0 {
        start.text("window is empty")
    } else {
        start
            .number(fault.window)
            .text("-wide window is larger than the input's extent of ")
            .number(fault.input)
            .text(" padded by ")
            .number(fault.padding)
            .text(" on each side")
    })
}

const fn same_dims(a: &[Option<usize>; 4], b: &[Option<usize>; 4]) -> bool {
    let mut i = 0;
    while i < 4 {
        match (a[i], b[i]) {
            (Some(x), Some(y)) if x != y => return false,
            (Some(_), None) | (None, Some(_)) => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{Const, Window};

    #[test]
    fn numbers_and_patterns() {
        let m = ConstMessage::new()
            .number(0)
            .text(" ")
            .number(18_446_744_073_709_551_615);
        assert_eq!(m.as_str(), "0 18446744073709551615");
        assert_eq!(ConstMessage::new().shape::<()>().as_str(), "[]");
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        // 1 + 159·3 = 478 bytes fit whole; the 160th euro sign is cut after 2 of its 3.
        let mut m = ConstMessage::new().text("x");
        for _ in 0..200 {
            m = m.text("€");
        }
        assert!(m.is_truncated());
        assert_eq!(m.as_str().len(), 478);
        assert_eq!(m.as_str().chars().count(), 160);
    }

    #[test]
    fn window_faults_name_the_layer_and_numbers() {
        type In = (usize, Const<1>, Const<4>, Const<4>);
        type TooBig = Window<Const<4>, 5, 1, 0>;
        type Out = (usize, Const<8>, TooBig, TooBig);
        let m = window_message::<In, Out>("`conv1`").unwrap();
        assert_eq!(
            m.as_str(),
            "`conv1` cannot take [_, 1, 4, 4]: its 5-wide window is larger than the input's extent of 4 padded by 0 on each side"
        );
        type Still = (usize, Const<8>, Window<Const<4>, 2, 0, 0>, Const<4>);
        assert_eq!(
            window_message::<In, Still>("`pool`").unwrap().as_str(),
            "`pool` cannot take [_, 1, 4, 4]: its stride is 0"
        );
        // The next layer, fed the faulty shape, stays silent.
        type After = (
            usize,
            Const<8>,
            Window<TooBig, 2, 2, 0>,
            Window<TooBig, 2, 2, 0>,
        );
        assert!(window_message::<Out, After>("`pool1`").is_none());
        assert!(mismatch_message::<Out, In>("", "").is_none());
    }
}
