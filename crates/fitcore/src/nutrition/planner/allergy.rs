//! Allergies: free text from the profile, matched conservatively. A food
//! hits an allergy when it *may* contain the allergen: by keyword
//! families ("milk" also means cheese, butter, whey...; "tree nuts" means
//! almonds, walnuts...), and by "may contain" rules for processed food
//! groups (baked goods, sweets, snacks) and mixed dishes. Any other text
//! is matched against the food name.

use std::cell::OnceCell;

use super::DietFlags;
use super::diet::{
    Cat, EGG_WORDS, FISH_WORDS, GLUTEN_WORDS, SHELLFISH_WORDS, flags_of, hot_cereal, simple_snack,
};
use super::words::Words;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Allergen {
    Milk,
    Egg,
    Peanut,
    TreeNut,
    Fish,
    Shellfish,
    Soy,
    Wheat,
    Gluten,
    Sesame,
}

/// Maps a profile's free-text allergy to known allergens; `None` means
/// "match the text against the food name".
fn canonical(allergy: &str) -> Option<&'static [Allergen]> {
    use Allergen::*;
    let a = allergy.trim().to_lowercase().replace(['_', '-'], " ");
    let a = a
        .trim_end_matches(" allergy")
        .trim_end_matches(" allergies")
        .trim();
    Some(match a {
        "milk" | "dairy" | "lactose" | "milk protein" | "casein" | "whey" | "cow's milk"
        | "cows milk" => &[Milk],
        "egg" | "eggs" => &[Egg],
        "peanut" | "peanuts" | "groundnut" | "groundnuts" => &[Peanut],
        "tree nut" | "tree nuts" | "treenut" | "treenuts" => &[TreeNut],
        "nut" | "nuts" => &[TreeNut, Peanut],
        "fish" | "finfish" => &[Fish],
        "shellfish" | "crustacean" | "crustaceans" | "mollusc" | "molluscs" | "mollusk"
        | "mollusks" => &[Shellfish],
        "seafood" => &[Fish, Shellfish],
        "soy" | "soya" | "soybean" | "soybeans" => &[Soy],
        "wheat" => &[Wheat],
        "gluten" | "celiac" | "coeliac" | "celiac disease" | "coeliac disease" => &[Gluten],
        "sesame" | "sesame seed" | "sesame seeds" => &[Sesame],
        _ => return None,
    })
}

/// Conservative allergy check: true when the food may contain any of the
/// allergens. Known allergens use keyword lists plus "may contain" rules
/// for processed food groups; any other text matches the food name
/// case-insensitively (singular and plural forms).
pub fn hits_allergy(category: &str, name: &str, allergies: &[String]) -> bool {
    let live: Vec<&String> = allergies.iter().filter(|a| !a.trim().is_empty()).collect();
    if live.is_empty() {
        return false;
    }
    let cat = Cat::of(category);
    let w = Words::new(name);
    let lower = name.to_lowercase();
    let flags = OnceCell::new();
    live.iter().any(|a| match canonical(a) {
        Some(list) => list.iter().any(|al| allergen_hit(*al, cat, &w, &flags)),
        None => custom_hit(&lower, a),
    })
}

fn custom_hit(lower_name: &str, allergy: &str) -> bool {
    let a = allergy.trim().to_lowercase();
    let mut forms = vec![a.clone()];
    if let Some(stem) = a.strip_suffix("ies") {
        forms.push(format!("{stem}y"));
    } else if let Some(stem) = a.strip_suffix('y') {
        forms.push(format!("{stem}ies"));
    } else if let Some(stem) = a.strip_suffix("es") {
        forms.push(stem.to_owned());
    }
    if let Some(stem) = a.strip_suffix('s') {
        forms.push(stem.to_owned());
    }
    forms
        .iter()
        .any(|f| f.len() >= 2 && lower_name.contains(f.as_str()))
}

/// `flags` is filled on first need: diet flags cost more than the
/// keyword checks.
fn allergen_hit(al: Allergen, cat: Cat, w: &Words, flags: &OnceCell<DietFlags>) -> bool {
    use Allergen::*;
    // Mixed dishes may hold anything.
    if cat.is_composite() {
        return true;
    }
    match al {
        Milk => !flags.get_or_init(|| flags_of(cat, w)).dairy_free,
        Gluten => !flags.get_or_init(|| flags_of(cat, w)).gluten_free,
        Egg => {
            w.any(EGG_WORDS)
                || (cat == Cat::Dairy && w.first().starts_with("egg"))
                || matches!(cat, Cat::Baked | Cat::Sweets)
                || w.any("noodle*, morningstar, worthington, loma, gardenburger, veggie, vegetarian")
        }
        Peanut => {
            w.any("peanut*, groundnut*, arachis, goober*, mixed nuts, trail mix, satay, granola") || matches!(cat, Cat::Sweets | Cat::Baked)
                || (cat == Cat::Snacks && !simple_snack(w))
                || (cat == Cat::Cereals && !hot_cereal(w))
        }
        TreeNut => {
            w.any("almond*, walnut*, cashew*, pecan*, pistachio*, hazelnut*, filbert*, macadamia*, \
                brazilnut*, brazil, pine nut*, pinyon, pinon, pignolia, chestnut*, beechnut*, butnut*, \
                hickory*, coconut*, praline*, marzipan, nougat, gianduja, nutella, pesto, mixed nuts, \
                trail mix, granola, muesli, nut, nuts") || (cat == Cat::Nuts && w.starts("nuts"))
                || matches!(cat, Cat::Sweets | Cat::Baked)
                || (cat == Cat::Snacks && !simple_snack(w))
                || (cat == Cat::Cereals && !hot_cereal(w))
        }
        Fish => cat == Cat::Seafood || w.any(FISH_WORDS) || w.any("fish oil, omega 3"),
        Shellfish => (cat == Cat::Seafood && !w.any(FISH_WORDS)) || w.any(SHELLFISH_WORDS),
        Soy => {
            w.any("soy*, soja, tofu*, tempeh, edamame, miso, natto, shoyu, tamari, teriyaki, \
                textured vegetable, tvp, extender, morningstar, worthington, loma, gardenburger, \
                veggie, vegetarian, plantbased, lecithin, silk, vitasoy, nasoya, azumaya, okara, \
                soygurt, tofugurt, mori") || matches!(
                cat,
                Cat::Baked | Cat::Sweets | Cat::Sausages | Cat::Beverages
            ) || (cat == Cat::Snacks && !simple_snack(w))
                || (cat == Cat::Cereals && !hot_cereal(w))
                || (cat == Cat::Fats && !w.starts("oil") && !w.starts("butter"))
        }
        Wheat => {
            (w.any(GLUTEN_WORDS) && !w.any("glutenfree") && !only_non_wheat_gluten(w))
                || (cat == Cat::Baked && !w.has("glutenfree"))
                || (cat == Cat::Cereals && !hot_cereal(w) && !w.has("glutenfree"))
                || (cat == Cat::Cereals
                    && hot_cereal(w)
                    && w.any("farina, wheat*, malt*, wheatena"))
                || cat == Cat::Sausages
        }
        Sesame => {
            w.any("sesame*, tahini, hummus, halva*, halvah, benne, gomasio, bagel*, bun, buns") || matches!(cat, Cat::Baked)
        }
    }
}

/// Barley, rye and oats hold gluten but not wheat.
fn only_non_wheat_gluten(w: &Words) -> bool {
    w.any("barley, rye, oat*")
        && !w.any("wheat*, flour*, bread*, pasta, malt*, cracker*, cookie*, cake*, cereal*")
}
