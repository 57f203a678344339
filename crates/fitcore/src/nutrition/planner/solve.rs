//! Portion solver: given the foods of one day, find gram amounts within
//! each food's portion range so that energy, protein, carbs and fat land on
//! the targets.
//!
//! It is a small box-constrained least-squares problem. Each target's
//! relative error is divided by its tolerance (5 % energy, 10 % macros), so
//! all four count alike; a light pull towards each food's typical portion
//! keeps amounts natural and makes the problem strictly convex (a unique
//! answer, hence deterministic plans). With n <= ~30 foods a primal
//! active-set method with a dense Cholesky solve is exact and takes
//! microseconds, so no iterative tuning is needed.

/// Allowed relative error per target: energy, protein, carbs, fat.
pub(super) const TOL: [f64; 4] = [0.05, 0.10, 0.10, 0.10];

/// How far a meal's energy may stray from its share of the day before it
/// costs as much as a full macro tolerance. Deliberately loose: the day's
/// targets are hard, a balanced spread over the meals is a preference.
const MEAL_TOL: f64 = 0.6;

/// One day's portion problem. Nutrients are per 100 g; amounts in grams.
pub(super) struct Portions<'a> {
    pub per100: &'a [[f64; 4]],
    pub lo: &'a [f64],
    pub hi: &'a [f64],
    pub typ: &'a [f64],
    pub target: [f64; 4],
    /// Meal index of each food, and each meal's share of the day's energy
    /// (kcal). Empty `meal_kcal` disables the meal balance.
    pub meal_of: &'a [usize],
    pub meal_kcal: &'a [f64],
    /// Weight of the meal-balance rows relative to the day's targets.
    pub meal_weight: f64,
}

/// Energy, protein, carbs and fat for the given amounts. The planner and
/// `verify` both use this so their sums agree to the last bit.
pub(super) fn totals(per100: &[[f64; 4]], grams: &[f64]) -> [f64; 4] {
    let mut t = [0.0; 4];
    for (row, g) in per100.iter().zip(grams) {
        for k in 0..4 {
            t[k] += row[k] * g / 100.0;
        }
    }
    t
}

/// Worst error as a share of its tolerance: <= 1 means within tolerance.
pub(super) fn badness(tot: [f64; 4], target: [f64; 4]) -> f64 {
    (0..4)
        .map(|k| ((tot[k] - target[k]) / target[k]).abs() / TOL[k])
        .fold(0.0, f64::max)
}

pub(super) fn within(tot: [f64; 4], target: [f64; 4]) -> bool {
    (0..4).all(|k| tot[k].is_finite() && (tot[k] - target[k]).abs() <= TOL[k] * target[k])
}

/// Scaled rows (c, rhs): error = c . y - rhs with y in units of 100 g.
/// Four day targets, then one energy row per meal.
fn rows(p: &Portions) -> Vec<(Vec<f64>, f64)> {
    let mut out: Vec<(Vec<f64>, f64)> = (0..4)
        .map(|k| {
            (
                p.per100
                    .iter()
                    .map(|r| r[k] / (p.target[k] * TOL[k]))
                    .collect(),
                1.0 / TOL[k],
            )
        })
        .collect();
    let w = p.meal_weight.max(0.0).sqrt();
    for (m, &kcal) in p.meal_kcal.iter().enumerate() {
        if kcal <= 0.0 || w == 0.0 {
            continue;
        }
        let c = p
            .per100
            .iter()
            .zip(p.meal_of)
            .map(|(r, &mi)| {
                if mi == m {
                    w * r[0] / (kcal * MEAL_TOL)
                } else {
                    0.0
                }
            })
            .collect();
        out.push((c, w / MEAL_TOL));
    }
    out
}

/// Continuous optimum, in grams. `lambda` weighs the pull towards the
/// typical portion against the target errors.
pub(super) fn solve(p: &Portions, lambda: f64) -> Vec<f64> {
    let n = p.per100.len();
    if n == 0 {
        return Vec::new();
    }
    let c = rows(p);
    let lo: Vec<f64> = p.lo.iter().map(|v| v / 100.0).collect();
    let hi: Vec<f64> = p.hi.iter().map(|v| v / 100.0).collect();
    let typ: Vec<f64> = p.typ.iter().map(|v| (v / 100.0).max(1e-3)).collect();
    let mut h = vec![0.0; n * n];
    let mut b = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] = c.iter().map(|(row, _)| row[i] * row[j]).sum();
        }
        h[i * n + i] += lambda / (typ[i] * typ[i]);
        b[i] = c.iter().map(|(row, rhs)| row[i] * rhs).sum::<f64>() + lambda / typ[i];
    }
    let mut y: Vec<f64> = (0..n).map(|i| typ[i].clamp(lo[i], hi[i])).collect();
    // 0 = free, -1 = held at the lower bound, 1 = held at the upper bound.
    let mut state = vec![0i8; n];
    for _ in 0..(10 * n + 50) {
        let g: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum::<f64>() - b[i])
            .collect();
        let free: Vec<usize> = (0..n).filter(|&i| state[i] == 0).collect();
        let step = if free.is_empty() {
            None
        } else {
            newton_step(&h, n, &free, &g)
        };
        let small = step
            .as_ref()
            .is_none_or(|s| s.iter().all(|v| v.abs() < 1e-12));
        if small {
            // Free the bound whose multiplier has the wrong sign, if any.
            let worst = (0..n)
                .filter(|&i| state[i] != 0)
                .map(|i| (i, if state[i] < 0 { -g[i] } else { g[i] }))
                .filter(|&(_, v)| v > 1e-10)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            match worst {
                Some((i, _)) => {
                    state[i] = 0;
                    continue;
                }
                None => break,
            }
        }
        let Some(s) = step else { break };
        let mut alpha = 1.0;
        let mut block = None;
        for (f, &i) in free.iter().enumerate() {
            let (limit, side) = if s[f] < 0.0 {
                ((lo[i] - y[i]) / s[f], -1)
            } else if s[f] > 0.0 {
                ((hi[i] - y[i]) / s[f], 1)
            } else {
                continue;
            };
            if limit < alpha {
                alpha = limit.max(0.0);
                block = Some((i, side));
            }
        }
        for (f, &i) in free.iter().enumerate() {
            y[i] = (y[i] + alpha * s[f]).clamp(lo[i], hi[i]);
        }
        if let Some((i, side)) = block {
            y[i] = if side < 0 { lo[i] } else { hi[i] };
            state[i] = side;
        }
    }
    y.iter().map(|v| v * 100.0).collect()
}

/// Solves H_FF s = -g_F by Cholesky; `None` if H_FF is not positive
/// definite (cannot happen with lambda > 0, but never panic).
fn newton_step(h: &[f64], n: usize, free: &[usize], g: &[f64]) -> Option<Vec<f64>> {
    let m = free.len();
    let mut l = vec![0.0; m * m];
    for a in 0..m {
        for bb in 0..=a {
            let mut sum = h[free[a] * n + free[bb]];
            for k in 0..bb {
                sum -= l[a * m + k] * l[bb * m + k];
            }
            if a == bb {
                if sum <= 1e-300 {
                    return None;
                }
                l[a * m + a] = sum.sqrt();
            } else {
                l[a * m + bb] = sum / l[bb * m + bb];
            }
        }
    }
    let mut z = vec![0.0; m];
    for a in 0..m {
        let mut sum = -g[free[a]];
        for k in 0..a {
            sum -= l[a * m + k] * z[k];
        }
        z[a] = sum / l[a * m + a];
    }
    let mut s = vec![0.0; m];
    for a in (0..m).rev() {
        let mut sum = z[a];
        for k in (a + 1)..m {
            sum -= l[k * m + a] * s[k];
        }
        s[a] = sum / l[a * m + a];
    }
    Some(s)
}

/// Whole grams, then a greedy gram-by-gram touch-up if rounding pushed a
/// total out of tolerance.
pub(super) fn round(p: &Portions, grams: &[f64]) -> Vec<f64> {
    let n = grams.len();
    let mut g: Vec<f64> = (0..n)
        .map(|i| grams[i].round().clamp(p.lo[i].ceil(), p.hi[i].floor()))
        .collect();
    let err = |t: [f64; 4]| -> f64 {
        (0..4)
            .map(|k| ((t[k] - p.target[k]) / (p.target[k] * TOL[k])).powi(2))
            .sum()
    };
    let mut tot = totals(p.per100, &g);
    if within(tot, p.target) {
        return g;
    }
    let mut cur = err(tot);
    for _ in 0..200 {
        let mut best: Option<(usize, f64, f64)> = None;
        for (i, gi) in g.iter().enumerate() {
            for d in [-10.0, -5.0, -1.0, 1.0, 5.0, 10.0] {
                let v = gi + d;
                if v < p.lo[i].ceil() || v > p.hi[i].floor() {
                    continue;
                }
                let mut t = tot;
                for (tk, per) in t.iter_mut().zip(p.per100[i]) {
                    *tk += per * d / 100.0;
                }
                let e = err(t);
                if e < cur - 1e-12 && best.is_none_or(|b| e < b.2) {
                    best = Some((i, d, e));
                }
            }
        }
        let Some((i, d, e)) = best else { break };
        g[i] += d;
        cur = e;
        tot = totals(p.per100, &g);
        if within(tot, p.target) && badness(tot, p.target) < 0.9 {
            break;
        }
    }
    g
}

/// Slope of the squared scaled error for each food, per gram: positive
/// means "less of this food would help".
pub(super) fn slopes(p: &Portions, grams: &[f64]) -> Vec<f64> {
    let tot = totals(p.per100, grams);
    let e: Vec<f64> = (0..4)
        .map(|k| (tot[k] - p.target[k]) / (p.target[k] * TOL[k]))
        .collect();
    p.per100
        .iter()
        .map(|r| {
            (0..4)
                .map(|k| 2.0 * e[k] * r[k] / (100.0 * p.target[k] * TOL[k]))
                .sum()
        })
        .collect()
}
