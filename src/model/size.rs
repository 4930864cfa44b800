//! size: Dovecot's size values (`256M`, `1 GiB`, `unlimited`), parsed exactly as Dovecot does.
//!
//! The grammar is the same in 2.3 (`settings_get_size()`) and 2.4 (`str_parse_get_size()`):
//! decimal digits, optional spaces (no tabs), an optional unit B/K/M/G/T (case-insensitive,
//! binary multiples), after K/M/G/T an optional `i` then an optional `b`, and nothing after.
//! 2.4 also accepts `unlimited`/`infinite` for every size setting.

/// A parsed size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Size {
    Bytes(u64),
    /// `unlimited` / `infinite` (2.4 only), stored by Dovecot as `UOFF_T_MAX`.
    Unlimited,
}

/// Why a size did not parse; `Display` gives Dovecot's own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SizeError {
    Invalid(String),
    TooLarge(String),
}

impl std::fmt::Display for SizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SizeError::Invalid(s) => write!(f, "Invalid size: {s}"),
            SizeError::TooLarge(s) => write!(f, "Size is too large: {s}"),
        }
    }
}

/// Parses `text` the way Dovecot does. `allow_unlimited` is true for 2.4.
///
/// ```
/// use mxlint::model::size::{parse_size, Size, SizeError};
/// assert_eq!(parse_size("1G", false), Ok(Size::Bytes(1 << 30)));
/// assert_eq!(parse_size("256 MiB", false), Ok(Size::Bytes(256 << 20)));
/// assert_eq!(parse_size("unlimited", true), Ok(Size::Unlimited));
/// assert_eq!(parse_size("1.5G", false), Err(SizeError::Invalid("1.5G".into())));
/// ```
pub fn parse_size(text: &str, allow_unlimited: bool) -> Result<Size, SizeError> {
    if allow_unlimited && (text == "unlimited" || text == "infinite") {
        return Ok(Size::Unlimited);
    }
    let invalid = || SizeError::Invalid(text.to_string());
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(invalid());
    }
    // str_parse_uintmax: overflow of the number itself is "Invalid size".
    let number: u64 = text[..digits].parse().map_err(|_| invalid())?;
    let mut rest = &bytes[digits..];
    while let [b' ', tail @ ..] = rest {
        rest = tail;
    }
    let (multiplier, rest): (u64, &[u8]) = match rest {
        [] => (1, rest),
        [unit, tail @ ..] => {
            let multiplier = match unit.to_ascii_uppercase() {
                b'B' => {
                    return if tail.is_empty() {
                        Ok(Size::Bytes(number))
                    } else {
                        Err(invalid())
                    }
                }
                b'K' => 1 << 10,
                b'M' => 1 << 20,
                b'G' => 1 << 30,
                b'T' => 1 << 40,
                _ => return Err(invalid()),
            };
            let tail = match tail {
                [b'i' | b'I', t @ ..] => t,
                t => t,
            };
            let tail = match tail {
                [b'b' | b'B', t @ ..] => t,
                t => t,
            };
            (multiplier, tail)
        }
    };
    if !rest.is_empty() {
        return Err(invalid());
    }
    if number > u64::MAX / multiplier {
        return Err(SizeError::TooLarge(text.to_string()));
    }
    Ok(Size::Bytes(number * multiplier))
}

/// Formats bytes as doveconf 2.3 does: the largest exact unit of `B k M G T`, with a space.
pub fn format_size(bytes: u64) -> String {
    if bytes == 0 {
        return "0".into();
    }
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "k"),
    ];
    for (multiple, unit) in UNITS {
        if bytes % multiple == 0 {
            return format!("{} {unit}", bytes / multiple);
        }
    }
    format!("{bytes} B")
}

/// Formats bytes as a user would write them in a config: `1G`, `1536M`, `300k`.
pub fn format_size_compact(bytes: u64) -> String {
    format_size(bytes).replace(' ', "").replace('k', "K")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn accepts_what_dovecot_accepts() {
        for (text, bytes) in [
            ("256M", 256 * MIB),
            ("256 M", 256 * MIB),
            ("256  M", 256 * MIB),
            ("256m", 256 * MIB),
            ("256MB", 256 * MIB),
            ("256mb", 256 * MIB),
            ("256MiB", 256 * MIB),
            ("256Mi", 256 * MIB),
            ("256MIB", 256 * MIB),
            ("256 MB", 256 * MIB),
            ("268435456", 256 * MIB),
            ("268435456B", 256 * MIB),
            ("268435456 b", 256 * MIB),
            ("262144k", 256 * MIB),
            ("262144kB", 256 * MIB),
            ("262144KiB", 256 * MIB),
            ("1G", 1 << 30),
            ("1T", 1 << 40),
            ("0", 0),
            ("00", 0),
            ("0M", 0),
            ("18446744073709551615", u64::MAX),
            ("17179869183G", 17179869183 << 30),
            ("16777215T", 16777215 << 40),
        ] {
            assert_eq!(parse_size(text, false), Ok(Size::Bytes(bytes)), "{text}");
        }
    }

    #[test]
    fn rejects_what_dovecot_rejects() {
        for text in [
            "256\tM",
            "1P",
            "-1",
            "+1M",
            "1.5G",
            "0x100000",
            "1 G B",
            "1 M B",
            "1BB",
            "1MBB",
            "1 G ",
            "",
            "M",
            " 1G",
            "18446744073709551616",
            "unlimited",
        ] {
            assert_eq!(
                parse_size(text, false),
                Err(SizeError::Invalid(text.into())),
                "{text:?}"
            );
        }
        for text in ["17179869184G", "16777216T"] {
            assert_eq!(
                parse_size(text, false),
                Err(SizeError::TooLarge(text.into())),
                "{text}"
            );
        }
    }

    #[test]
    fn unlimited_only_when_allowed() {
        assert_eq!(parse_size("unlimited", true), Ok(Size::Unlimited));
        assert_eq!(parse_size("infinite", true), Ok(Size::Unlimited));
        assert!(parse_size("Unlimited", true).is_err());
        assert!(parse_size("infinite", false).is_err());
    }

    #[test]
    fn formats_like_doveconf() {
        assert_eq!(format_size(256 * MIB), "256 M");
        assert_eq!(format_size(512 << 10), "512 k");
        assert_eq!(format_size(0), "0");
        assert_eq!(format_size(u64::MAX), "18446744073709551615 B");
        assert_eq!(format_size(1 << 30), "1 G");
    }
}
