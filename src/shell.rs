//! Quoting for a POSIX shell: every argument of a command that the output suggests
//! (`git rm --cached …`, `git filter-repo --path …`, the hook's path) goes through
//! [`quote`], so that a hostile name (`$(touch${IFS}PWNED).env`) pasted into a
//! shell is one literal argument and runs nothing.

/// `s` as one shell word: left as it is when it holds only characters no shell
/// treats specially, else in single quotes (`it's` -> `'it'\''s'`).
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./@%+=:,-".contains(&b))
        && !s.starts_with(['-', '=']);
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_what_a_shell_would_expand() {
        assert_eq!(quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(quote("config/.env"), "config/.env");
        assert_eq!(
            quote("$(touch${IFS}PWNED).env"),
            "'$(touch${IFS}PWNED).env'"
        );
        assert_eq!(quote("a`b`"), "'a`b`'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("-rf"), "'-rf'");
        assert_eq!(quote("x\ny"), "'x\ny'");
    }
}
