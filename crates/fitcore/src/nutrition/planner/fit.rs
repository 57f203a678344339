//! Fitting a day: portions for all its foods at once, then small repairs
//! (drop a food stuck at its minimum that overshoots, add the food that
//! best covers a shortfall) until the day meets the targets, and a final
//! pass that keeps main meals from coming out tiny.

use super::FoodKind;
use super::MealSlot;
use super::build::{Draft, Limits, MAX_ITEMS_PER_MEAL, Planner, REPAIRS};
use super::solve::{self, Portions};
use super::templates::Rng;

/// One solved day: the flattened items and their amounts.
struct Solved {
    flat: Vec<(usize, usize)>,
    per100: Vec<[f64; 4]>,
    lo: Vec<f64>,
    x: Vec<f64>,
    slope: Vec<f64>,
    grams: Vec<f64>,
    tot: [f64; 4],
}

impl Planner<'_> {
    /// Solves the portions, dropping or adding foods until the day is
    /// within tolerance. Returns grams per meal item, or the closest
    /// badness and totals reached.
    pub(super) fn fit_day(
        &self,
        draft: &mut Draft,
        day: u32,
        limits: Limits,
        rng: &mut Rng,
    ) -> Result<Vec<Vec<f64>>, (f64, [f64; 4])> {
        let fail = (f64::INFINITY, [0.0; 4]);
        for m in 0..self.seq.len() {
            if draft.meals[m].is_empty()
                && !self.add_best(draft, day, limits, self.mix, Some(m), -1.0, rng)
            {
                return Err(fail);
            }
        }
        let mut closest = fail;
        for _ in 0..=REPAIRS {
            let Some(s) = self.solve_draft(draft) else {
                break;
            };
            if self.accepts(&s) {
                return Ok(self.balance(draft, s, day, limits, rng));
            }
            let bad = solve::badness(s.tot, self.target);
            if bad < closest.0 {
                closest = (bad, s.tot);
            }
            let cont = solve::totals(&s.per100, &s.x);
            let t = self.target;
            let need = [
                4.0 * (t[1] - cont[1]),
                4.0 * (t[2] - cont[2]),
                9.0 * (t[3] - cont[3]),
            ];
            if !self.drop_one(draft, &s) && !self.add_best(draft, day, limits, need, None, 0.2, rng)
            {
                break;
            }
        }
        Err(closest)
    }

    /// A hair inside the tolerance, so `verify` (which sums in menu order)
    /// can never disagree by a rounding error.
    fn accepts(&self, s: &Solved) -> bool {
        solve::within(s.tot, self.target) && solve::badness(s.tot, self.target) <= 0.995
    }

    fn solve_draft(&self, draft: &Draft) -> Option<Solved> {
        let flat: Vec<(usize, usize)> = draft
            .meals
            .iter()
            .enumerate()
            .flat_map(|(m, items)| items.iter().map(move |&c| (m, c)))
            .collect();
        if flat.is_empty() {
            return None;
        }
        let cand = |i: usize| &self.cands[flat[i].1];
        let n = flat.len();
        let per100: Vec<[f64; 4]> = (0..n).map(|i| cand(i).per100).collect();
        let lo: Vec<f64> = (0..n).map(|i| cand(i).lo).collect();
        let hi: Vec<f64> = (0..n).map(|i| cand(i).hi).collect();
        // Typical portions scaled to the day's energy, so the pull towards
        // them does not fight the calorie target.
        let typ_kcal: f64 = (0..n)
            .map(|i| cand(i).per100[0] * cand(i).typ / 100.0)
            .sum();
        let r = (self.target[0] / typ_kcal.max(1.0)).clamp(0.5, 2.0);
        let typ: Vec<f64> = (0..n)
            .map(|i| (cand(i).typ * r).clamp(cand(i).lo, cand(i).hi))
            .collect();
        let meal_of: Vec<usize> = flat.iter().map(|&(m, _)| m).collect();
        let mut p = Portions {
            per100: &per100,
            lo: &lo,
            hi: &hi,
            typ: &typ,
            target: self.target,
            meal_of: &meal_of,
            meal_kcal: &self.meal_kcal,
            meal_weight: 1.0,
        };
        // Natural portions and balanced meals first; if that costs more
        // than 70 % of a tolerance, let the day's targets win step by step
        // (the meal balance then only breaks ties).
        let mut x = solve::solve(&p, 0.02);
        if solve::badness(solve::totals(&per100, &x), self.target) > 0.7 {
            x = solve::solve(&p, 1e-4);
        }
        if solve::badness(solve::totals(&per100, &x), self.target) > 0.7 {
            p.meal_weight = 0.01;
            x = solve::solve(&p, 1e-6);
        }
        let grams = solve::round(&p, &x);
        let slope = solve::slopes(&p, &x);
        let tot = solve::totals(&per100, &grams);
        Some(Solved {
            flat,
            per100,
            lo,
            x,
            slope,
            grams,
            tot,
        })
    }

    /// Drops the food that sits at its smallest portion yet still pushes
    /// the day over the targets. Vegetables go last: a meal without them
    /// looks wrong even when the numbers say otherwise.
    fn drop_one(&self, draft: &mut Draft, s: &Solved) -> bool {
        // Never drop a meal's only protein main, nor the last vegetable of
        // a lunch or dinner: the meal would stop making sense.
        let protected = |i: usize| {
            let (m, c) = s.flat[i];
            let role = self.cands[c].kind.role();
            let only = draft.meals[m]
                .iter()
                .filter(|&&o| self.cands[o].kind.role() == role)
                .count()
                == 1;
            let main_meal = matches!(self.seq[m], MealSlot::Lunch | MealSlot::Dinner);
            only && (role == 0 || (role == 2 && main_meal))
        };
        let weight = |i: usize| {
            if self.cands[s.flat[i].1].kind.role() == 2 {
                0.3
            } else {
                1.0
            }
        };
        let worst = (0..s.flat.len())
            .filter(|&i| {
                s.x[i] <= s.lo[i] + 0.5
                    && s.slope[i] > 0.0
                    && draft.meals[s.flat[i].0].len() > 1
                    && !protected(i)
            })
            .max_by(|&a, &b| {
                (s.slope[a] * s.lo[a] * weight(a)).total_cmp(&(s.slope[b] * s.lo[b] * weight(b)))
            });
        let Some(i) = worst else { return false };
        let (m, c) = s.flat[i];
        match draft.meals[m].iter().position(|&o| o == c) {
            Some(pos) => {
                self.remove(draft, m, pos);
                true
            }
            None => false,
        }
    }

    /// Adds the allowed food whose protein/carb/fat energy best points
    /// along `need`, to `only` or to the meal where it fits best. Prefers
    /// filling a gap in a meal over a second main or a second starch.
    #[allow(clippy::too_many_arguments)]
    fn add_best(
        &self,
        draft: &mut Draft,
        day: u32,
        limits: Limits,
        need: [f64; 3],
        only: Option<usize>,
        min_cos: f64,
        rng: &mut Rng,
    ) -> bool {
        let nn = need.iter().map(|v| v * v).sum::<f64>().sqrt();
        if nn <= 0.0 {
            return false;
        }
        let mut top: Vec<(f64, usize, usize)> = Vec::new();
        for (m, slot) in self.seq.iter().enumerate() {
            let items = &draft.meals[m];
            if only.is_some_and(|o| o != m) || items.len() >= MAX_ITEMS_PER_MEAL {
                continue;
            }
            // Grow main meals before snacks, and short meals before long ones.
            let snack = if *slot == MealSlot::Snack && !items.is_empty() {
                0.1
            } else {
                0.0
            };
            let crowd = 0.07 * items.len() as f64 + snack;
            for kind in self.slot_kinds.get(slot).into_iter().flatten() {
                let clash = items
                    .iter()
                    .map(|&o| clash_penalty(self.cands[o].kind, *kind))
                    .fold(0.0, f64::max);
                let Some(pool) = self.pools.get(&(*slot, *kind)) else {
                    continue;
                };
                for &c in pool {
                    let v = &self.cands[c].per100;
                    let e = [4.0 * v[1], 4.0 * v[2], 9.0 * v[3]];
                    let en = e.iter().map(|v| v * v).sum::<f64>().sqrt();
                    if en <= 0.0 {
                        continue;
                    }
                    let cos = (0..3).map(|k| e[k] * need[k]).sum::<f64>() / (en * nn);
                    let score = cos - clash - crowd;
                    if cos < min_cos || (top.len() >= 3 && score <= top[2].0) {
                        continue;
                    }
                    if !self.fits(c, day, limits, draft, items) {
                        continue;
                    }
                    top.push((score, m, c));
                    top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
                    top.truncate(3);
                }
            }
        }
        if top.is_empty() {
            return false;
        }
        let (_, m, c) = top[rng.below(top.len())];
        self.add(draft, m, c);
        true
    }

    /// The day is within tolerance; if a main meal came out tiny (under
    /// half its share of the day), try adding a food to it and keep the
    /// result only if the day still meets the targets.
    fn balance(
        &self,
        draft: &mut Draft,
        first: Solved,
        day: u32,
        limits: Limits,
        rng: &mut Rng,
    ) -> Vec<Vec<f64>> {
        let mut cur = first;
        for _ in 0..3 {
            let kcal = meal_energy(&cur, self.seq.len());
            let short = (0..self.seq.len())
                .filter(|&m| {
                    self.seq[m] != MealSlot::Snack && draft.meals[m].len() < MAX_ITEMS_PER_MEAL
                })
                .map(|m| (m, kcal[m] / self.meal_kcal[m]))
                .filter(|&(_, ratio)| ratio < 0.5)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let Some((m, ratio)) = short else { break };
            let saved = draft.clone();
            if !self.add_best(draft, day, limits, self.mix, Some(m), 0.0, rng) {
                break;
            }
            match self.solve_draft(draft) {
                Some(next)
                    if self.accepts(&next)
                        && meal_energy(&next, self.seq.len())[m] / self.meal_kcal[m] > ratio =>
                {
                    cur = next;
                }
                _ => {
                    *draft = saved;
                    break;
                }
            }
        }
        let mut out = vec![Vec::new(); self.seq.len()];
        for (&(m, _), g) in cur.flat.iter().zip(&cur.grams) {
            out[m].push(*g);
        }
        out
    }
}

/// Penalty for adding `new` to a meal that already has `old`.
fn clash_penalty(old: FoodKind, new: FoodKind) -> f64 {
    if old == new {
        0.4
    } else if old.role() != new.role() {
        0.0
    } else {
        match old.role() {
            0 => 0.5,
            1 => 0.3,
            2 | 3 => 0.05,
            _ => 0.15,
        }
    }
}

fn meal_energy(s: &Solved, meals: usize) -> Vec<f64> {
    let mut kcal = vec![0.0; meals];
    for (i, &(m, _)) in s.flat.iter().enumerate() {
        kcal[m] += s.per100[i][0] * s.grams[i] / 100.0;
    }
    kcal
}
