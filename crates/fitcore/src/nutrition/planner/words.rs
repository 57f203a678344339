//! Keyword matching on USDA food names. A name is lower-cased, a few
//! misleading phrases are rewritten ("eggplant" is not egg, "peanut
//! butter" is not dairy), and it is split into words. Keywords match whole
//! words (plural "s"/"es" allowed) or, ending in `*`, word prefixes;
//! multi-word keywords match consecutive words.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Phrases rewritten before matching so that keywords do not misfire
/// ("eggplant" is not egg, "peanut butter" is not dairy, "buckwheat" is
/// not wheat is handled by word boundaries).
const REWRITES: &[(&str, &str)] = &[
    ("eggplant", "aubergine"),
    ("honeydew", "dewmelon"),
    ("butterhead", "bibb"),
    ("butternut", "butnut"),
    ("butterbur", "coltsfoot"),
    ("butter beans", "lima beans"),
    ("butterfish", "stromateid"),
    ("peanut butter", "peanut spread"),
    ("almond butter", "almond spread"),
    ("cashew butter", "cashew spread"),
    ("sesame butter", "sesame spread"),
    ("seed butter", "seed spread"),
    ("nut butter", "nut spread"),
    ("apple butter", "apple spread"),
    ("cocoa butter", "cocoa fat"),
    ("nutmeg butter", "nutmeg fat"),
    ("shea butter", "shea fat"),
    ("coconut milk", "coconut drink"),
    ("coconut cream", "coconut paste"),
    ("almond milk", "almond drink"),
    ("rice milk", "rice drink"),
    ("oat milk", "oat drink"),
    ("soy milk", "soymilk"),
    ("milkfish", "bangus"),
    ("cream of tartar", "tartar"),
    ("cream of wheat", "farina"),
    ("cream of rice", "rice porridge"),
    ("soy yogurt", "soygurt"),
    ("tofu yogurt", "tofugurt"),
    ("bean curd", "tofu"),
    ("meatless", "plantbased"),
    ("gluten-free", "glutenfree"),
    ("gluten free", "glutenfree"),
    // Buns are not meat; fast-food burgers are composite and never flagged.
    ("hamburger", "burger"),
    ("cornish", "kornish"),
    ("corned beef", "brined beef"),
    ("vegetable broth", "vegetable stock"),
    ("hot dog", "hotdog"),
    ("dulce de leche", "leche"),
    // Gluten-free starches that would otherwise read as "noodles"/"flour".
    ("rice noodles", "ricenoodles"),
    ("winter, spaghetti", "winter, spaghettisquash"),
    ("rice flour", "riceflour"),
    ("corn flour", "cornflour"),
    ("potato flour", "potatoflour"),
];

/// A food name, lower-cased, rewritten and split into words.
pub(super) struct Words {
    toks: Vec<String>,
    head: String,
}

impl Words {
    pub(super) fn new(name: &str) -> Words {
        let mut s = name.to_lowercase();
        for (from, to) in REWRITES {
            if s.contains(from) {
                s = s.replace(from, to);
            }
        }
        let toks = s
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let head = s.split(',').next().unwrap_or("").to_owned();
        Words { toks, head }
    }

    pub(super) fn first(&self) -> &str {
        self.toks.first().map_or("", String::as_str)
    }

    /// The name up to its first comma, lower-cased and rewritten.
    pub(super) fn head(&self) -> &str {
        &self.head
    }

    /// `kw` is one or more space-separated words. A word ending in `*`
    /// matches any word it starts; other words match exactly or with a
    /// plural "s"/"es".
    pub(super) fn has(&self, kw: &str) -> bool {
        let n = kw.split_whitespace().count();
        if n == 0 || n > self.toks.len() {
            return false;
        }
        (0..=self.toks.len() - n).any(|i| self.matches_at(i, kw))
    }

    /// `kws` is a comma-separated list of keywords as for [`Words::has`].
    /// Lists are compiled once per thread (keyed by the literal's address)
    /// into an index by first word, so a check costs a few hash look-ups
    /// per word of the name instead of a scan of the whole list.
    pub(super) fn any(&self, kws: &'static str) -> bool {
        COMPILED.with(|cell| {
            let mut map = cell.borrow_mut();
            let c = map
                .entry((kws.as_ptr() as usize, kws.len()))
                .or_insert_with(|| Compiled::new(kws));
            (0..self.toks.len()).any(|i| {
                let t = self.toks[i].as_bytes();
                let check = |ids: &[u32]| {
                    ids.iter()
                        .any(|&id| self.matches_words(i, &c.pats[id as usize]))
                };
                c.by_word.get(&self.toks[i]).is_some_and(|ids| check(ids))
                    || (t.len() >= 2 && c.by_stem.get(&[t[0], t[1]]).is_some_and(|ids| check(ids)))
                    || check(&c.short)
            })
        })
    }

    fn matches_words(&self, i: usize, words: &[&str]) -> bool {
        words.len() <= self.toks.len() - i
            && words
                .iter()
                .zip(&self.toks[i..])
                .all(|(p, t)| word_matches(t, p))
    }

    /// True when the name starts with these words (same matching rules).
    pub(super) fn starts(&self, kw: &str) -> bool {
        kw.split_whitespace().count() <= self.toks.len() && self.matches_at(0, kw)
    }

    fn matches_at(&self, i: usize, kw: &str) -> bool {
        kw.split_whitespace()
            .zip(&self.toks[i..])
            .all(|(p, t)| word_matches(t, p))
    }
}

/// FNV-1a: keyword look-ups hash short words hundreds of thousands of
/// times, and SipHash's flooding resistance buys nothing for our own lists.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// A keyword list, indexed by the words that can start a match.
struct Compiled {
    pats: Vec<Vec<&'static str>>,
    /// Exact first words and their plural forms.
    by_word: FnvMap<String, Vec<u32>>,
    /// Prefix first words ("fish*") by their first two bytes.
    by_stem: FnvMap<[u8; 2], Vec<u32>>,
    /// Prefix stems shorter than two bytes.
    short: Vec<u32>,
}

impl Compiled {
    fn new(list: &'static str) -> Compiled {
        let mut c = Compiled {
            pats: Vec::new(),
            by_word: FnvMap::default(),
            by_stem: FnvMap::default(),
            short: Vec::new(),
        };
        for kw in list.split(',') {
            let words: Vec<&'static str> = kw.split_whitespace().collect();
            let Some(first) = words.first() else { continue };
            let id = c.pats.len() as u32;
            match first.strip_suffix('*').map(str::as_bytes) {
                Some([a, b, ..]) => c.by_stem.entry([*a, *b]).or_default().push(id),
                Some(_) => c.short.push(id),
                None => {
                    for form in [first.to_string(), format!("{first}s"), format!("{first}es")] {
                        c.by_word.entry(form).or_default().push(id);
                    }
                }
            }
            c.pats.push(words);
        }
        c
    }
}

thread_local! {
    static COMPILED: RefCell<FnvMap<(usize, usize), Compiled>> = RefCell::new(FnvMap::default());
}

/// Exact membership in a comma-separated list.
pub(super) fn one_of(list: &str, word: &str) -> bool {
    list.split(',').any(|x| x.trim() == word)
}

fn word_matches(tok: &str, pat: &str) -> bool {
    if let Some(stem) = pat.strip_suffix('*') {
        return tok.starts_with(stem);
    }
    tok == pat
        || tok.strip_suffix('s').is_some_and(|t| t == pat)
        || tok.strip_suffix("es").is_some_and(|t| t == pat)
}
