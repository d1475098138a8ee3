//! Quoting for a POSIX shell: the arguments of the commands qrcp-scan suggests
//! (`git rm --cached 'my file.env'`) are pasted into a shell as they are printed.

use std::borrow::Cow;

/// `s` as one word of a POSIX shell command: unchanged when it holds only
/// characters no shell treats specially, else in single quotes (a `'` inside
/// becomes `'\''`).
pub fn quote(s: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(format!("'{}'", s.replace('\'', r"'\''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_a_shell_would_split_or_expand() {
        assert_eq!(quote(".env"), ".env");
        assert_eq!(quote("config/.env.production"), "config/.env.production");
        assert_eq!(quote("my file.env"), "'my file.env'");
        assert_eq!(quote("a'b"), r"'a'\''b'");
        assert_eq!(quote("$HOME/.env"), "'$HOME/.env'");
        assert_eq!(quote("x;rm -rf ~"), "'x;rm -rf ~'");
        assert_eq!(quote("*.env"), "'*.env'");
        assert_eq!(quote(""), "''");
    }
}
