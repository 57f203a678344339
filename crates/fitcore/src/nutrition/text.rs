//! Folding names for search: lower case, accents removed, runs of spaces
//! collapsed. Stored names are folded on write and queries the same way,
//! so one comparison works on SQLite and PostgreSQL alike.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_ignores_case_accents_and_extra_spaces() {
        assert_eq!(fold("  Crème   Brûlée "), "creme brulee");
        assert_eq!(fold("JALAPEÑO"), "jalapeno");
        assert_eq!(fold("Milk, whole"), "milk, whole");
    }
}
