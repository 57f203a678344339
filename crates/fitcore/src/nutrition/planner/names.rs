//! Short menu names for USDA foods: "Chicken breast", "Brown rice",
//! "Greek yogurt", "Meatless sausage". USDA long names put the food first
//! and qualifiers after commas ("Rice, brown, long-grain, cooked"); brands
//! come in capitals.

use super::diet::Cat;
use super::words::{Words, one_of};

/// Qualifiers that say how a food is prepared or packed, not what it is.
const STOP: &str = "raw, cooked, fresh, frozen, canned, boiled, whole, regular, mature seeds, dry, \
    prepared, plain, enriched, unenriched, drained, fluid, all commercial varieties, baked, \
    without salt, with salt, lowfat, nonfat, reduced fat, commercially prepared, \
    all varieties, immature seeds, solids and liquids, broilers or fryers, long-grain, \
    mixed species, toasted, roasted, dry roasted, unsalted, salted, water pack, juice pack, \
    commercial, home prepared, home-prepared, sliced, original, ready-to-eat, stalks, \
    spears, florets, tops, all types, chopped, diced, shredded, grated, mashed, pieces, \
    slices, halves, sections, chunks, loaf, bulb, flower clusters";

/// A short name for menus: "Chicken breast", "Brown rice", "Almonds".
pub fn display_name(category: &str, name: &str) -> String {
    let no_paren = strip_parens(name);
    let mut segs: Vec<&str> = no_paren
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    // A leading brand ("MORI-NU, Tofu, silken") says little about the food.
    if segs.len() > 1 && is_caps(segs[0]) {
        segs.remove(0);
    }
    let Some(first) = segs.first().copied() else {
        return name.trim().to_owned();
    };
    let lower_first = first.to_lowercase();
    let w = Words::new(name);
    let seg = |i: usize| segs.get(i).copied().unwrap_or("");
    let raw = if w.has("plantbased") {
        // "Chicken, meatless" must never read as chicken.
        let base = segs
            .iter()
            .copied()
            .find(|s| !s.to_lowercase().contains("meatless"))
            .unwrap_or("");
        format!("Meatless {}", strip_brand(base).to_lowercase())
    } else if w.has("glutenfree") && matches!(Cat::of(category), Cat::Baked) {
        let what = ["rolls", "bagels", "crackers", "pancakes", "waffles"]
            .into_iter()
            .find(|k| w.has(k))
            .unwrap_or("bread");
        format!("Gluten-free {what}")
    } else if w.has("tofu") {
        let q = ["silken", "extra firm", "firm", "soft", "fried"]
            .into_iter()
            .find(|q| w.has(q));
        q.map_or("Tofu".to_owned(), |q| format!("{q} tofu"))
    } else if w.has("soymilk") {
        "Soymilk".to_owned()
    } else if w.has("soygurt") {
        "Soy yogurt".to_owned()
    } else if Cat::of(category) == Cat::Beverages && w.any("protein powder, whey protein") {
        if w.has("soy") {
            "Soy protein shake".to_owned()
        } else {
            "Whey protein shake".to_owned()
        }
    } else if w.any("soy protein isolate, soy protein concentrate") {
        "Soy protein shake".to_owned()
    } else if w.starts("protein supplement") {
        "Protein shake".to_owned()
    } else if strip_brand(first).len() < first.len() {
        // "SILK Vanilla, soy yogurt" -> "Vanilla soy yogurt"; "GARDENBURGER Original" -> "Original".
        let unbranded = strip_brand(first);
        let s1 = seg(1).to_lowercase();
        let qualifier =
            !s1.is_empty() && !one_of(STOP, &s1) && !one_of("canned, frozen, unprepared", &s1);
        if qualifier && unbranded.split(' ').count() == 1 {
            format!("{unbranded} {}", seg(1).to_lowercase())
        } else {
            unbranded.to_owned()
        }
    } else if w.first() == "egg" || w.first() == "eggs" {
        let prep = ["scrambled", "poached", "fried", "omelet"]
            .into_iter()
            .find(|p| w.has(p));
        match (w.has("white"), prep) {
            (true, _) => "Egg whites".to_owned(),
            (false, Some("omelet")) => "Omelet".to_owned(),
            (false, Some(p)) => format!("{p} eggs"),
            (false, None) if w.has("hard") => "Hard-boiled eggs".to_owned(),
            (false, None) => "Eggs".to_owned(),
        }
    } else if w.starts("cereals ready") {
        let s1 = seg(1);
        if is_caps(s1) && !seg(2).is_empty() {
            seg(2).to_owned()
        } else {
            s1.to_owned()
        }
    } else if lower_first == "cereals" {
        if w.any("oats, oatmeal") {
            if w.any("cooked, prepared") {
                "Oatmeal".to_owned()
            } else {
                "Rolled oats".to_owned()
            }
        } else if w.has("grits") {
            "Grits".to_owned()
        } else if w.has("farina") {
            "Cream of wheat".to_owned()
        } else if w.has("rice porridge") {
            "Cream of rice".to_owned()
        } else {
            let s = if is_caps(seg(1)) && !seg(2).is_empty() {
                seg(2)
            } else {
                seg(1)
            };
            strip_brand(s).to_owned()
        }
    } else if one_of(
        "fish, nuts, seeds, crustaceans, mollusks, game meat, snacks, beverages, spices, snack",
        &lower_first,
    ) {
        let s = if is_caps(seg(1)) && !seg(2).is_empty() {
            seg(2)
        } else {
            seg(1)
        };
        strip_brand(s).to_owned()
    } else if one_of(
        "beef, pork, lamb, veal, chicken, turkey, duck",
        &lower_first,
    ) {
        const CUTS: &str = "ground, breast, thigh, drumstick, wing, leg, tenderloin, sirloin, loin, rib, chuck, \
            brisket, flank, round, shoulder, shank, chop, steak, ham, bacon, roast";
        let cut = segs.iter().skip(1).find_map(|s| {
            let l = s.to_lowercase();
            CUTS.split(',')
                .map(str::trim)
                .find(|c| l.split(' ').any(|t| t == *c))
        });
        match cut {
            Some("ground") => format!("ground {lower_first}"),
            Some(c) => format!("{first} {c}"),
            None => first.to_owned(),
        }
    } else {
        let s1 = seg(1);
        let l1 = s1.to_lowercase();
        let variety = !s1.is_empty()
            && s1.split(' ').count() <= 2
            && !one_of(STOP, &l1)
            && !l1.chars().any(|c| c.is_ascii_digit() || c == '%')
            && !l1.starts_with("with")
            && !l1.starts_with("without")
            && first.split(' ').count() == 1;
        if variety {
            format!("{s1} {lower_first}")
        } else {
            first.to_owned()
        }
    };
    tidy(&raw)
}

fn is_caps(s: &str) -> bool {
    s.chars().any(char::is_alphabetic) && s.chars().all(|c| !c.is_lowercase())
}

/// Drops leading all-capital brand words, keeping at least one word.
fn strip_brand(s: &str) -> &str {
    let mut rest = s.trim();
    while let Some((head, tail)) = rest.split_once(' ') {
        if head.len() > 1 && is_caps(head) && !tail.trim().is_empty() {
            rest = tail.trim();
        } else {
            break;
        }
    }
    rest
}

fn strip_parens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Sentence case; brand names in capitals become Title Case.
fn tidy(s: &str) -> String {
    let words: Vec<String> = s
        .split_whitespace()
        .map(|w| {
            if w.len() > 1
                && w.chars().all(|c| !c.is_lowercase())
                && w.chars().any(char::is_alphabetic)
            {
                let mut cs = w.chars();
                cs.next().map_or(String::new(), |f| {
                    f.to_string() + &cs.as_str().to_lowercase()
                })
            } else {
                w.to_owned()
            }
        })
        .collect();
    let joined = words.join(" ");
    let mut cs = joined.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().collect::<String>() + cs.as_str(),
        None => joined,
    }
}
