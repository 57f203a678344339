//! Builds the days: the candidate pools, the variety rules, picking foods
//! per meal from templates, and the finished day with names and totals.
//! Portions and repairs are in `fit.rs`.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};

use super::FoodKind::{self, *};
use super::solve;
use super::templates::{self, Rng, Template};
use super::{
    Idea, MealSlot, Plan, PlanError, PlanRequest, PlannedDay, PlannedItem, PlannedMeal, PlannerFood,
};
use crate::accounts::dto::DietaryPreference;

/// Keeps meals recognisable when repairs add foods.
pub(super) const MAX_ITEMS_PER_MEAL: usize = 6;
/// Foods sampled per pick; the one that best steers the day's macro mix
/// towards the target wins.
const SAMPLES: usize = 6;
const ATTEMPTS: u64 = 4;
pub(super) const REPAIRS: usize = 8;
/// Fewer candidates than this after filtering: `TooFewFoods`.
pub(super) const MIN_FOODS: usize = 12;

/// Variety rules, loosened step by step only when a day cannot be built.
#[derive(Clone, Copy)]
pub(super) struct Limits {
    /// Uses of one food in any 7 consecutive days.
    pub(super) per_food: usize,
    /// Uses of one dish name ("Chicken breast") in any 7 consecutive days.
    pub(super) per_name: usize,
    /// No dish name twice in one day.
    pub(super) unique_name_per_day: bool,
    /// Daily servings per kind ([`FoodKind::per_day`]).
    pub(super) kind_caps: bool,
}

const LEVELS: [Limits; 4] = [
    Limits {
        per_food: 3,
        per_name: 3,
        unique_name_per_day: true,
        kind_caps: true,
    },
    Limits {
        per_food: 3,
        per_name: 5,
        unique_name_per_day: true,
        kind_caps: true,
    },
    Limits {
        per_food: 3,
        per_name: usize::MAX,
        unique_name_per_day: false,
        kind_caps: false,
    },
    // Tiny candidate pools: a food may come back every day.
    Limits {
        per_food: 7,
        per_name: usize::MAX,
        unique_name_per_day: false,
        kind_caps: false,
    },
];

pub(super) struct Cand {
    pub(super) food: usize,
    pub(super) kind: FoodKind,
    /// Dish-name id, computed on first use (display names are the costly
    /// part of setting up, and most candidates are never looked at).
    pub(super) key: Cell<usize>,
    pub(super) per100: [f64; 4],
    pub(super) lo: f64,
    pub(super) typ: f64,
    pub(super) hi: f64,
    pub(super) meat: bool,
    pub(super) dairy: bool,
}

/// Dish names and the days each was served.
#[derive(Default)]
struct Names {
    ids: HashMap<String, usize>,
    pub(super) names: Vec<String>,
    uses: Vec<Vec<u32>>,
}

pub(super) struct Planner<'a> {
    pub(super) foods: &'a [PlannerFood],
    pub(super) req: &'a PlanRequest,
    pub(super) target: [f64; 4],
    /// Target share of energy from protein, carbs and fat.
    pub(super) mix: [f64; 3],
    pub(super) seq: Vec<MealSlot>,
    pub(super) meal_kcal: Vec<f64>,
    pub(super) templates: Vec<Vec<Template>>,
    pub(super) cands: Vec<Cand>,
    pub(super) pools: HashMap<(MealSlot, FoodKind), Vec<usize>>,
    /// Kinds with foods per slot, in a fixed order (hash maps iterate in
    /// random order, which would break determinism).
    pub(super) slot_kinds: HashMap<MealSlot, Vec<FoodKind>>,
    pub(super) by_id: HashMap<i64, usize>,
    pub(super) kosher: bool,
    pub(super) food_uses: Vec<Vec<u32>>,
    names: RefCell<Names>,
}

/// A day in progress: candidate indices per meal.
#[derive(Clone)]
pub(super) struct Draft {
    pub(super) meals: Vec<Vec<usize>>,
    pub(super) day_foods: HashSet<usize>,
    pub(super) day_names: HashMap<usize, usize>,
    pub(super) day_kinds: HashMap<FoodKind, usize>,
}

impl<'a> Planner<'a> {
    pub(super) fn new(
        foods: &'a [PlannerFood],
        req: &'a PlanRequest,
        target: [f64; 4],
    ) -> Result<Self, PlanError> {
        let keto = req.diet.contains(&DietaryPreference::Keto);
        // Bigger eaters get bigger maximum portions, never smaller ones.
        let scale = (target[0] / 2200.0).clamp(1.0, 1.4);
        let mut cands = Vec::new();
        let mut by_id = HashMap::new();
        let mut pools: HashMap<(MealSlot, FoodKind), Vec<usize>> = HashMap::new();
        for (i, f) in foods.iter().enumerate() {
            if f.slots.is_empty() || by_id.contains_key(&f.id) || !super::allowed(f, req, keto) {
                continue;
            }
            let (lo, typ, hi) = f.kind.portion();
            let c = cands.len();
            for s in &f.slots {
                pools.entry((*s, f.kind)).or_default().push(c);
            }
            by_id.insert(f.id, c);
            cands.push(Cand {
                food: i,
                kind: f.kind,
                key: Cell::new(usize::MAX),
                per100: [f.kcal, f.protein_g, f.carbs_g, f.fat_g],
                lo,
                typ: typ * scale,
                hi: hi * scale,
                meat: super::is_meat(f),
                dairy: super::is_dairy(f),
            });
        }
        if cands.len() < MIN_FOODS {
            return Err(PlanError::TooFewFoods {
                available: cands.len(),
                needed: MIN_FOODS,
            });
        }
        let seq = super::meal_sequence(req.meals_per_day);
        let mut slot_kinds: HashMap<MealSlot, Vec<FoodKind>> = HashMap::new();
        for (slot, kind) in pools.keys() {
            slot_kinds.entry(*slot).or_default().push(*kind);
        }
        for kinds in slot_kinds.values_mut() {
            kinds.sort_by_key(|k| templates::order_of(*k));
        }
        for s in &seq {
            if !slot_kinds.contains_key(s) {
                return Err(PlanError::Infeasible(format!(
                    "no {} foods are left after the diet, allergies and exclusions",
                    super::slot_word(*s)
                )));
            }
        }
        let e = [4.0 * target[1], 4.0 * target[2], 9.0 * target[3]];
        let sum = e.iter().sum::<f64>();
        Ok(Planner {
            foods,
            req,
            target,
            mix: [e[0] / sum, e[1] / sum, e[2] / sum],
            meal_kcal: templates::meal_shares(&seq)
                .iter()
                .map(|s| s * target[0])
                .collect(),
            templates: seq.iter().map(|s| templates::templates(*s)).collect(),
            seq,
            food_uses: vec![Vec::new(); cands.len()],
            cands,
            pools,
            slot_kinds,
            by_id,
            kosher: req.diet.contains(&DietaryPreference::Kosher),
            names: RefCell::new(Names::default()),
        })
    }

    pub(super) fn run(mut self) -> Result<Plan, PlanError> {
        let mut days = Vec::new();
        for day in 1..=self.req.days {
            let mut closest: Option<(f64, [f64; 4])> = None;
            let mut done = None;
            'levels: for (li, limits) in LEVELS.iter().enumerate() {
                for attempt in 0..ATTEMPTS {
                    let mut rng =
                        Rng::new(templates::mix_seed(self.req.seed, day, li as u64, attempt));
                    let mut draft = self.pick_day(day, *limits, &mut rng);
                    match self.fit_day(&mut draft, day, *limits, &mut rng) {
                        Ok(grams) => {
                            done = Some((draft, grams));
                            break 'levels;
                        }
                        Err(c) if closest.is_none_or(|b| c.0 < b.0) => closest = Some(c),
                        Err(_) => {}
                    }
                }
            }
            let Some((draft, grams)) = done else {
                let (t, got) = (self.target, closest.map_or([0.0; 4], |c| c.1));
                return Err(PlanError::Infeasible(format!(
                    "could not meet the targets on day {day} with the foods your diet allows \
                     (closest: {:.0} of {:.0} kcal, protein {:.0} of {:.0} g, carbs {:.0} of {:.0} g, \
                     fat {:.0} of {:.0} g); relax a restriction or adjust the macro targets",
                    got[0], t[0], got[1], t[1], got[2], t[2], got[3], t[3]
                )));
            };
            days.push(self.finish_day(day, &draft, &grams));
        }
        Ok(Plan { days })
    }

    /// The dish-name id of a candidate ("Chicken breast"), interned lazily.
    pub(super) fn key(&self, c: usize) -> usize {
        let cand = &self.cands[c];
        if cand.key.get() != usize::MAX {
            return cand.key.get();
        }
        let f = &self.foods[cand.food];
        let name = super::display_name(&f.category, &f.name);
        let mut names = self.names.borrow_mut();
        let next = names.names.len();
        let key = *names.ids.entry(name.to_lowercase()).or_insert(next);
        if key == next {
            names.names.push(name);
            names.uses.push(Vec::new());
        }
        cand.key.set(key);
        key
    }

    pub(super) fn fits(
        &self,
        c: usize,
        day: u32,
        limits: Limits,
        draft: &Draft,
        meal: &[usize],
    ) -> bool {
        let cand = &self.cands[c];
        if draft.day_foods.contains(&c) {
            return false;
        }
        let kind_today = draft
            .day_kinds
            .get(&cand.kind.family())
            .copied()
            .unwrap_or(0);
        if limits.kind_caps && kind_today >= cand.kind.per_day() {
            return false;
        }
        let key = self.key(c);
        let today = draft.day_names.get(&key).copied().unwrap_or(0);
        if limits.unique_name_per_day && today > 0 {
            return false;
        }
        let window = |uses: &[u32]| uses.iter().filter(|&&u| u + 6 >= day).count();
        if window(&self.food_uses[c]) + 1 > limits.per_food {
            return false;
        }
        if limits.per_name != usize::MAX
            && window(&self.names.borrow().uses[key]) + today + 1 > limits.per_name
        {
            return false;
        }
        // Kosher: no meat and dairy in the same meal.
        let clash =
            |o: &usize| (cand.meat && self.cands[*o].dairy) || (cand.dairy && self.cands[*o].meat);
        !(self.kosher && meal.iter().any(clash))
    }

    pub(super) fn add(&self, draft: &mut Draft, meal: usize, c: usize) {
        draft.meals[meal].push(c);
        draft.day_foods.insert(c);
        *draft.day_names.entry(self.key(c)).or_insert(0) += 1;
        *draft
            .day_kinds
            .entry(self.cands[c].kind.family())
            .or_insert(0) += 1;
    }

    pub(super) fn remove(&self, draft: &mut Draft, meal: usize, pos: usize) {
        let c = draft.meals[meal].remove(pos);
        draft.day_foods.remove(&c);
        if let Some(n) = draft.day_names.get_mut(&self.key(c)) {
            *n = n.saturating_sub(1);
        }
        if let Some(n) = draft.day_kinds.get_mut(&self.cands[c].kind.family()) {
            *n = n.saturating_sub(1);
        }
    }

    /// Distance of a protein/carb/fat mix (grams) from the target energy mix.
    fn mix_distance(&self, pcf: [f64; 3]) -> f64 {
        let e = [4.0 * pcf[0], 4.0 * pcf[1], 9.0 * pcf[2]];
        let s: f64 = e.iter().sum();
        if s <= 0.0 {
            return 3.0;
        }
        (0..3).map(|k| (e[k] / s - self.mix[k]).abs()).sum()
    }

    fn typical_pcf(&self, c: usize) -> [f64; 3] {
        let x = &self.cands[c];
        [1, 2, 3].map(|k| x.per100[k] * x.typ / 100.0)
    }

    pub(super) fn pick_day(&self, day: u32, limits: Limits, rng: &mut Rng) -> Draft {
        let mut draft = Draft {
            meals: vec![Vec::new(); self.seq.len()],
            day_foods: HashSet::new(),
            day_names: HashMap::new(),
            day_kinds: HashMap::new(),
        };
        let mut ideas: HashMap<MealSlot, VecDeque<&Idea>> = HashMap::new();
        for idea in self.req.ideas.iter().filter(|i| i.day == day) {
            ideas.entry(idea.slot).or_default().push_back(idea);
        }
        let mut acc = [0.0; 3];
        let take = |planner: &Self, draft: &mut Draft, m: usize, c: usize, acc: &mut [f64; 3]| {
            planner.add(draft, m, c);
            let t = planner.typical_pcf(c);
            (0..3).for_each(|k| acc[k] += t[k]);
        };
        for (m, &slot) in self.seq.iter().enumerate() {
            // Meal ideas first; foods that are unknown, not allowed or
            // over-used are skipped.
            if let Some(idea) = ideas.get_mut(&slot).and_then(VecDeque::pop_front) {
                for id in &idea.food_ids {
                    let Some(&c) = self.by_id.get(id) else {
                        continue;
                    };
                    let room = draft.meals[m].len() < MAX_ITEMS_PER_MEAL;
                    if room && self.fits(c, day, limits, &draft, &draft.meals[m]) {
                        take(self, &mut draft, m, c, &mut acc);
                    }
                }
                if !draft.meals[m].is_empty() {
                    continue;
                }
            }
            let has = |k: &FoodKind| self.pools.contains_key(&(slot, *k));
            let usable: Vec<&Template> = self.templates[m]
                .iter()
                .filter(|t| {
                    t.groups
                        .iter()
                        .all(|g| g.optional || g.kinds.iter().any(has))
                })
                .collect();
            if let Some(t) =
                templates::weighted_index(rng, &usable, |t| t.weight).map(|i| usable[i])
            {
                for g in &t.groups {
                    if g.optional && !rng.chance(0.5) {
                        continue;
                    }
                    if let Some(c) =
                        self.pick_from(slot, &g.kinds, day, limits, &draft, m, acc, rng)
                    {
                        take(self, &mut draft, m, c, &mut acc);
                    }
                }
            }
            if draft.meals[m].is_empty() {
                // No template fits this diet: any food that belongs here.
                let kinds = self.slot_kinds.get(&slot).cloned().unwrap_or_default();
                if let Some(c) = self.pick_from(slot, &kinds, day, limits, &draft, m, acc, rng) {
                    take(self, &mut draft, m, c, &mut acc);
                }
            }
        }
        draft
    }

    /// Draws a kind (by weight), then keeps the best of a few sampled foods
    /// of that kind: the one that moves the day's macro mix closest to the
    /// target. Kind first, so fish gets its turn although beef has ten
    /// times as many USDA entries, and the macro steering cannot turn every
    /// main into tofu.
    #[allow(clippy::too_many_arguments)]
    fn pick_from(
        &self,
        slot: MealSlot,
        kinds: &[FoodKind],
        day: u32,
        limits: Limits,
        draft: &Draft,
        meal: usize,
        acc: [f64; 3],
        rng: &mut Rng,
    ) -> Option<usize> {
        let mut pools: Vec<(f64, &Vec<usize>)> = kinds
            .iter()
            .filter_map(|k| {
                self.pools
                    .get(&(slot, *k))
                    .map(|p| (templates::kind_weight(*k), p))
            })
            .collect();
        while let Some(k) = templates::weighted_index(rng, &pools, |p| p.0) {
            let pool = pools[k].1;
            let mut best: Option<(f64, usize)> = None;
            let mut valid = 0;
            for _ in 0..SAMPLES * 4 {
                let c = pool[rng.below(pool.len())];
                if !self.fits(c, day, limits, draft, &draft.meals[meal]) {
                    continue;
                }
                let t = self.typical_pcf(c);
                let d = self.mix_distance([acc[0] + t[0], acc[1] + t[1], acc[2] + t[2]]);
                if best.is_none_or(|b| d < b.0) {
                    best = Some((d, c));
                }
                valid += 1;
                if valid >= SAMPLES {
                    break;
                }
            }
            if let Some((_, c)) = best {
                return Some(c);
            }
            pools.swap_remove(k);
        }
        None
    }

    fn finish_day(&mut self, day: u32, draft: &Draft, grams: &[Vec<f64>]) -> PlannedDay {
        let mut meals = Vec::new();
        let (mut rows, mut amounts) = (Vec::new(), Vec::new());
        for (m, &slot) in self.seq.iter().enumerate() {
            let mut items: Vec<(usize, f64)> = draft.meals[m]
                .iter()
                .copied()
                .zip(grams[m].iter().copied())
                .collect();
            items.sort_by_key(|(c, _)| templates::order_of(self.cands[*c].kind));
            for &(c, g) in &items {
                self.food_uses[c].push(day);
                let key = self.key(c);
                self.names.borrow_mut().uses[key].push(day);
                rows.push(self.cands[c].per100);
                amounts.push(g);
            }
            meals.push(PlannedMeal {
                slot,
                name: self.meal_name(&items),
                items: items
                    .iter()
                    .map(|&(c, g)| PlannedItem {
                        food_id: self.foods[self.cands[c].food].id,
                        grams: g,
                    })
                    .collect(),
            });
        }
        // Same order and formula as `verify`.
        PlannedDay {
            day,
            meals,
            totals: super::rounded(solve::totals(&rows, &amounts)),
        }
    }

    /// "Chicken breast with brown rice and broccoli".
    fn meal_name(&self, items: &[(usize, f64)]) -> String {
        let is_fat = |c: usize| matches!(self.cands[c].kind, Oil | Butter | Cream);
        let mains = items.iter().filter(|(c, _)| !is_fat(*c)).count();
        let mut names: Vec<String> = Vec::new();
        for &(c, _) in items {
            let name = self.names.borrow().names[self.key(c)].clone();
            if (mains >= 2 && is_fat(c)) || names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                continue;
            }
            names.push(name);
        }
        names.truncate(3);
        let lower = |s: &str| {
            let mut cs = s.chars();
            cs.next().map_or(String::new(), |f| {
                f.to_lowercase().collect::<String>() + cs.as_str()
            })
        };
        match names.as_slice() {
            [] => String::new(),
            [a] => a.clone(),
            [a, b] => format!("{a} with {}", lower(b)),
            [a, b, c, ..] => format!("{a} with {} and {}", lower(b), lower(c)),
        }
    }
}
