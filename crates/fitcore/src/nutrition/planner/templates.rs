//! Meal templates, how often foods of each kind are drawn, and the seeded
//! random numbers behind every choice.

use super::FoodKind::{self, *};
use super::MealSlot;

/// SplitMix64. Hand-rolled rather than `rand::StdRng` because StdRng's
/// algorithm may change between rand releases, and a saved seed must
/// reproduce the same plan after a dependency upgrade.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (0 when n is 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// One independent stream per (seed, day, relaxation level, attempt); the
/// seed is scrambled first so nearby seeds do not share streams.
pub(super) fn mix_seed(seed: u64, day: u32, level: u64, attempt: u64) -> u64 {
    let base = Rng::new(seed).next_u64();
    Rng::new(base ^ (u64::from(day) << 40) ^ (level << 20) ^ attempt).next_u64()
}

/// Index drawn with probability proportional to `weight`.
pub(super) fn weighted_index<T>(
    rng: &mut Rng,
    items: &[T],
    weight: impl Fn(&T) -> f64,
) -> Option<usize> {
    let total: f64 = items.iter().map(&weight).sum();
    if items.is_empty() || total <= 0.0 {
        return None;
    }
    let mut r = rng.unit() * total;
    for (i, it) in items.iter().enumerate() {
        r -= weight(it);
        if r < 0.0 {
            return Some(i);
        }
    }
    Some(items.len() - 1)
}

/// Choose one food of any of `kinds`; optional groups are skipped half
/// the time.
pub(super) struct Group {
    pub kinds: Vec<FoodKind>,
    pub optional: bool,
}

pub(super) struct Template {
    pub weight: f64,
    pub groups: Vec<Group>,
}

// Meal patterns people actually eat, with how often each is chosen.
// Groups are separated by "+"; a group lists the kinds one food is drawn
// from; "?" marks an optional group. A template is used only when every
// required group has foods left after the diet filters, so a keto user
// simply never gets the cereal bowl.
const BREAKFAST: &[(f64, &str)] = &[
    (
        3.0,
        "HotCereal ColdCereal + Milk Yogurt + Fruit DriedFruit + ?Nuts",
    ),
    (
        3.0,
        "Egg BoiledEgg + Bread + ?Fruit Juice + ?Cheese Avocado Butter BreakfastMeat DeliMeat",
    ),
    (
        2.0,
        "Yogurt FreshCheese + Fruit + Nuts ColdCereal DriedFruit",
    ),
    (1.0, "Pancake + Fruit + Egg Yogurt Milk BreakfastMeat"),
    (1.0, "PlantProtein + Bread + ?Fruit Avocado"),
    (0.7, "ProteinPowder + Milk + Fruit + ?Nuts ColdCereal"),
    (1.5, "Egg + Avocado Cheese + ?Fruit"),
    (1.0, "Egg + BreakfastMeat + ?Cheese Cream Butter"),
    (1.0, "Fruit + Nuts + ?Avocado DriedFruit"),
];

const LUNCH: &[(f64, &str)] = &[
    (
        3.0,
        "Meat Seafood PlantProtein MeatAnalogue + Grain Starchy Legume + Vegetable SaladVeg + ?Oil Butter Avocado Cheese",
    ),
    (
        2.0,
        "DeliMeat Egg BoiledEgg Cheese Seafood MeatAnalogue + Bread + SaladVeg Vegetable + ?Avocado Cheese Spread",
    ),
    (1.5, "Legume + Grain + Vegetable SaladVeg + ?Oil Avocado"),
    (
        1.5,
        "Meat Seafood BoiledEgg PlantProtein + SaladVeg Vegetable + Vegetable SaladVeg + ?Oil Avocado Cheese",
    ),
];

const DINNER: &[(f64, &str)] = &[
    (
        4.0,
        "Meat Seafood PlantProtein MeatAnalogue + Grain Starchy + Vegetable + ?Vegetable SaladVeg + ?Oil Butter",
    ),
    (
        1.5,
        "Legume PlantProtein + Grain Starchy + Vegetable + ?Oil",
    ),
    (
        1.5,
        "Meat Seafood PlantProtein + Vegetable + Vegetable SaladVeg + ?Oil Butter Cream Avocado",
    ),
];

const SNACK: &[(f64, &str)] = &[
    (3.0, "Fruit + ?Nuts"),
    (2.0, "Yogurt FreshCheese + ?Fruit"),
    (1.0, "Cheese + SnackFood"),
    (1.0, "SaladVeg + Spread"),
    (0.7, "ProteinPowder + Milk Fruit"),
    (2.0, "Nuts + ?DriedFruit"),
    (1.0, "BoiledEgg"),
    (1.0, "SnackFood + ?Fruit"),
    (1.0, "Milk + ?Fruit"),
    (1.0, "Cheese + ?SaladVeg"),
];

/// The templates for a meal slot. Unknown kind names are skipped (a unit
/// test checks there are none).
pub(super) fn templates(slot: MealSlot) -> Vec<Template> {
    let raw = match slot {
        MealSlot::Breakfast => BREAKFAST,
        MealSlot::Lunch => LUNCH,
        MealSlot::Dinner => DINNER,
        MealSlot::Snack => SNACK,
    };
    raw.iter()
        .map(|(weight, text)| Template {
            weight: *weight,
            groups: parse(text).0,
        })
        .collect()
}

/// Groups of a template, and how many kind names were not recognised.
fn parse(text: &str) -> (Vec<Group>, usize) {
    let mut unknown = 0;
    let groups = text
        .split('+')
        .map(|g| {
            let g = g.trim();
            let (optional, names) = match g.strip_prefix('?') {
                Some(rest) => (true, rest),
                None => (false, g),
            };
            let kinds = names
                .split_whitespace()
                .filter_map(|n| {
                    let k = kind_named(n);
                    unknown += usize::from(k.is_none());
                    k
                })
                .collect();
            Group { kinds, optional }
        })
        .collect();
    (groups, unknown)
}

fn kind_named(name: &str) -> Option<FoodKind> {
    ORDER.iter().copied().find(|k| format!("{k:?}") == name)
}

/// Count of unrecognised kind names over all templates (for the tests).
#[cfg(test)]
pub(super) fn unknown_kind_names() -> usize {
    [BREAKFAST, LUNCH, DINNER, SNACK]
        .iter()
        .flat_map(|t| t.iter())
        .map(|(_, text)| parse(text).1)
        .sum()
}

/// How often a kind is drawn within a group, so an omnivore mostly gets
/// meat or fish and only sometimes tofu or a veggie burger.
pub(super) fn kind_weight(k: FoodKind) -> f64 {
    match k {
        Meat | Vegetable | Grain => 4.0,
        Seafood | Starchy | Fruit | Bread | HotCereal | Egg | Yogurt => 2.5,
        Legume | SaladVeg | ColdCereal | Nuts | Milk | Oil => 1.5,
        MeatAnalogue => 0.4,
        ProteinPowder | Juice | DriedFruit | Cream => 0.5,
        PlantProtein => 0.8,
        _ => 1.0,
    }
}

/// Display order inside a meal (and the order used for its name).
pub(super) const ORDER: &[FoodKind] = &[
    Meat,
    Seafood,
    PlantProtein,
    MeatAnalogue,
    DeliMeat,
    BreakfastMeat,
    Egg,
    BoiledEgg,
    HotCereal,
    ColdCereal,
    Pancake,
    Yogurt,
    FreshCheese,
    ProteinPowder,
    Legume,
    Grain,
    Starchy,
    Bread,
    Vegetable,
    SaladVeg,
    Fruit,
    DriedFruit,
    Juice,
    Milk,
    Cheese,
    Spread,
    Nuts,
    SnackFood,
    Avocado,
    Cream,
    Butter,
    Oil,
    Other,
];

pub(super) fn order_of(k: FoodKind) -> usize {
    ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len())
}

/// Each meal's preferred share of the day's energy: breakfast 25 %, lunch
/// and dinner 35 %, snacks 10 %, scaled to sum to one.
pub(super) fn meal_shares(seq: &[MealSlot]) -> Vec<f64> {
    let raw: Vec<f64> = seq
        .iter()
        .map(|s| match s {
            MealSlot::Breakfast => 0.25,
            MealSlot::Lunch | MealSlot::Dinner => 0.35,
            MealSlot::Snack => 0.10,
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    raw.iter().map(|v| v / sum).collect()
}
