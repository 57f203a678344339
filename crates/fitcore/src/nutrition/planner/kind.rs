//! What a food is on a plate: its kind, the meals it belongs to and
//! sensible portion sizes (display names are in `names.rs`).
//!
//! The planner only uses foods it can place sensibly, so classification is
//! an allow-list: plain, recognisable foods in an eatable state. Left out
//! (empty slots): spices and herbs, baby foods, fast food, restaurant and
//! frozen-meal entries, soups and sauces, sweets, alcoholic and most other
//! beverages, organ meats and trimmings, raw meat, fish and grains, flours,
//! dry mixes and powders (except protein powders), unusual regional items
//! and branded composite products. Fats and oils appear only as additions
//! to a meal (a spoon of olive oil, a knob of butter), never alone.

use super::MealSlot::{self, Breakfast as B, Dinner as D, Lunch as L, Snack as S};
use super::diet::Cat;
use super::words::{Words, one_of};

/// Culinary role of a food, which fixes its meal slots and portion range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FoodKind {
    /// Cooked beef, pork, lamb, game or poultry.
    Meat,
    /// Bacon and breakfast sausage.
    BreakfastMeat,
    /// Sliced ham, turkey, chicken or roast beef.
    DeliMeat,
    Seafood,
    /// Eggs cooked to order (scrambled, fried, omelet) or bought raw.
    Egg,
    /// Hard-boiled eggs, which also travel as a snack.
    BoiledEgg,
    /// Dairy milk, kefir, soy and other plant drinks.
    Milk,
    Yogurt,
    Cheese,
    /// Cottage cheese, ricotta.
    FreshCheese,
    /// Tofu, tempeh, natto.
    PlantProtein,
    /// Veggie burgers, meatless sausages and the like.
    MeatAnalogue,
    /// Cooked beans, lentils, chickpeas.
    Legume,
    /// Hummus.
    Spread,
    /// Cooked rice, pasta, noodles, quinoa and other grains.
    Grain,
    Bread,
    /// Ready-to-eat cereal, muesli, rolled oats.
    ColdCereal,
    /// Oatmeal, grits and other cooked cereals.
    HotCereal,
    /// Pancakes, waffles, French toast.
    Pancake,
    /// Potatoes, sweet potatoes, corn, winter squash, plantains.
    Starchy,
    Vegetable,
    /// Raw vegetables that also work as a snack (carrots, celery, ...).
    SaladVeg,
    Fruit,
    DriedFruit,
    Juice,
    Avocado,
    /// Nuts, seeds and nut butters.
    Nuts,
    Oil,
    Butter,
    Cream,
    ProteinPowder,
    /// Rice cakes, popcorn, crackers, bars, jerky.
    SnackFood,
    /// A food the integrator supplied without a known kind.
    Other,
}

impl FoodKind {
    /// Meals where this kind of food makes sense.
    pub fn slots(self) -> &'static [MealSlot] {
        use FoodKind::*;
        match self {
            Meat | Seafood | MeatAnalogue | Legume | Grain | Starchy | Vegetable | Oil => &[L, D],
            BreakfastMeat | ColdCereal | HotCereal | Pancake | Juice => &[B],
            DeliMeat | Bread | Egg => &[B, L],
            BoiledEgg | Cheese => &[B, L, S],
            Milk | Yogurt | FreshCheese | Fruit | DriedFruit | Nuts | ProteinPowder => &[B, S],
            PlantProtein | Avocado | Butter | Cream => &[B, L, D],
            Spread => &[L, S],
            SaladVeg => &[L, D, S],
            SnackFood => &[S],
            Other => &[B, L, D, S],
        }
    }

    /// Portion range in grams: (smallest, typical, largest) for a
    /// 2,200 kcal day. Bigger eaters get up to 40 % larger maxima (see
    /// `build`). Maxima are what one person plausibly eats in one sitting.
    pub(super) fn portion(self) -> (f64, f64, f64) {
        use FoodKind::*;
        match self {
            Meat | Seafood => (60.0, 150.0, 250.0),
            BreakfastMeat => (20.0, 40.0, 100.0),
            DeliMeat => (30.0, 75.0, 150.0),
            Egg => (50.0, 100.0, 200.0),
            BoiledEgg => (50.0, 100.0, 150.0),
            Milk => (100.0, 250.0, 400.0),
            Yogurt => (100.0, 170.0, 300.0),
            Cheese => (15.0, 30.0, 60.0),
            FreshCheese => (60.0, 150.0, 250.0),
            PlantProtein | Legume => (60.0, 150.0, 250.0),
            MeatAnalogue => (50.0, 100.0, 200.0),
            Spread => (20.0, 50.0, 100.0),
            Grain => (60.0, 180.0, 300.0),
            Bread => (25.0, 60.0, 120.0),
            ColdCereal => (25.0, 45.0, 100.0),
            HotCereal => (150.0, 250.0, 400.0),
            Pancake => (50.0, 100.0, 200.0),
            Starchy => (80.0, 180.0, 350.0),
            Vegetable => (50.0, 120.0, 250.0),
            SaladVeg => (40.0, 80.0, 200.0),
            Fruit => (50.0, 130.0, 250.0),
            DriedFruit => (15.0, 30.0, 50.0),
            Juice => (100.0, 200.0, 250.0),
            Avocado => (30.0, 70.0, 150.0),
            Nuts => (10.0, 30.0, 50.0),
            Oil => (5.0, 10.0, 30.0),
            Butter => (5.0, 10.0, 25.0),
            Cream => (10.0, 30.0, 80.0),
            ProteinPowder => (15.0, 30.0, 50.0),
            SnackFood => (15.0, 30.0, 60.0),
            Other => (20.0, 100.0, 400.0),
        }
    }

    /// Most servings of this kind in one day (eggs of any kind count
    /// together): two tofu meals are fine, three are not.
    pub(super) fn per_day(self) -> usize {
        use FoodKind::*;
        match self {
            Vegetable | Other => 4,
            Fruit | SaladVeg => 3,
            Meat | Seafood | PlantProtein | Milk | Yogurt | Cheese | Legume | Grain | Bread
            | Starchy | Nuts | Oil | Butter | SnackFood => 2,
            _ => 1,
        }
    }

    /// Kinds that share a daily allowance.
    pub(super) fn family(self) -> FoodKind {
        match self {
            FoodKind::BoiledEgg => FoodKind::Egg,
            k => k,
        }
    }

    /// Broad role on the plate, used to avoid two mains in one meal.
    pub(super) fn role(self) -> u8 {
        use FoodKind::*;
        match self {
            Meat | Seafood | PlantProtein | MeatAnalogue | DeliMeat | BreakfastMeat | Egg
            | BoiledEgg | ProteinPowder => 0,
            Grain | Starchy | Bread | ColdCereal | HotCereal | Pancake | Legume => 1,
            Vegetable | SaladVeg => 2,
            Fruit | DriedFruit | Juice => 3,
            Milk | Yogurt | Cheese | FreshCheese | Cream => 4,
            Oil | Butter | Avocado | Nuts | Spread => 5,
            SnackFood | Other => 6,
        }
    }
}

/// Where the food makes sense; empty means the planner never uses it.
pub fn meal_slots(category: &str, name: &str) -> Vec<MealSlot> {
    classify(category, name)
        .map(|k| k.slots().to_vec())
        .unwrap_or_default()
}

const COOKED: &str = "cooked, boiled, roasted, grilled, broiled, braised, baked, fried, stewed, simmered, \
    heated, rotisserie, smoked, steamed, poached, scrambled, microwaved, canned, heat, \
    prepared, toasted, sauteed, stir, drained, omelet, kippered";

/// Offal, trimmings and odd cuts nobody plans a meal around.
const ODD_MEAT: &str = "liver*, kidney*, heart*, brain*, tongue, tripe, lung*, spleen, pancreas, thymus, \
    giblet*, gizzard*, feet, foot, skin only, skin from, separable fat, seam fat, fatback, crackling*, \
    neck, mechanically, ear*, tail*, marrow, variety, by products, blood, chitterling*, \
    snout, hock*, jowl, salt pork, cartilage, trimmings, breaded, batter*, flour*, \
    unprepared, dried, spread, salad, loaf, gravy, sauce, nugget*, stick*, backfat, \
    leaf fat, pate, frozen, canned, imitation";

/// The food's kind, or `None` when the planner should not use it.
pub fn classify(category: &str, name: &str) -> Option<FoodKind> {
    classify_words(category, name, &Words::new(name))
}

/// [`classify`] for an already tokenised name.
pub(super) fn classify_words(category: &str, name: &str, w: &Words) -> Option<FoodKind> {
    use FoodKind::*;
    if w.any("babyfood*, infant, industrial, substitute*, dry mix, concentrate*, imitation") {
        return None;
    }
    match Cat::of(category) {
        Cat::Beef | Cat::Pork | Cat::Lamb | Cat::Poultry => meat_kind(w, category),
        Cat::Sausages => {
            if w.any("spread, salad, loaf, roll") {
                None
            } else if w.has("turkey bacon") && w.any(COOKED) {
                Some(BreakfastMeat)
            } else if w.any("turkey breast, chicken breast, roast beef, pastrami")
                || (w.has("ham") && w.any("sliced, extra lean"))
            {
                Some(DeliMeat)
            } else if w.any("pork sausage, turkey sausage") && w.any(COOKED) {
                Some(BreakfastMeat)
            } else {
                None
            }
        }
        Cat::Seafood => {
            let odd = w.any("frog, turtle, jellyfish, snail*, roe, caviar, egg*, liver*, imitation, surimi, dried, \
                salted, breaded, batter*, liquid, raw, nugget*, cake*, stick*");
            (!odd && w.any(COOKED)).then_some(Seafood)
        }
        Cat::Dairy => dairy_kind(w),
        Cat::Legumes => legume_kind(w),
        Cat::Vegetables => vegetable_kind(w, name),
        Cat::Fruits => fruit_kind(w),
        Cat::Nuts => {
            // Flax, chia, hemp and sesame seeds are toppings, not a snack.
            let ok = w.any(
                "almond*, walnut*, cashew*, pecan*, pistachio*, hazelnut*, filbert*, macadamia*, \
                brazilnut*, pine nut*, mixed nuts, sunflower, pumpkin",
            );
            let odd = w.any("flour, meal, oil, drink, chocolate*, paste, coconut*, chestnut*, butnut*, formulated");
            (ok && !odd).then_some(Nuts)
        }
        Cat::Grains => {
            if w.starts("oats") {
                return Some(ColdCereal);
            }
            let grain = w.any(
                "rice, pasta, spaghetti, macaroni, noodle*, ricenoodles, couscous, quinoa, bulgur, \
                barley, millet, buckwheat, amaranth, teff, spelt, wheat, wild, hominy, sorghum",
            );
            let odd = w.any("flour*, meal, bran, germ, starch, vital, raw, unprepared, mix, dry");
            (grain && !odd && w.any(COOKED)).then_some(Grain)
        }
        Cat::Cereals => cereal_kind(w),
        Cat::Baked => baked_kind(w),
        Cat::Snacks => {
            let ok = w.any("rice cake*, corn cake*, popcorn, pretzel*, trail mix, granola bar*, formulated bar, \
                jerky, beef stick*, pork skins, rice cracker*");
            let odd = w.any("chocolate*, caramel*, coated, cheese*, sugar*, chip*, puff*, microwave, butter*, palm");
            (ok && !odd).then_some(SnackFood)
        }
        Cat::Fats => {
            if w.starts("butter") {
                return (!w.any("replacement, powder")).then_some(Butter);
            }
            let oil = w.starts("oil")
                && w.any("olive, canola, avocado, coconut, sunflower, sesame, peanut, soybean, corn, safflower, \
                    walnut, flaxseed, grapeseed, almond");
            let odd =
                w.any("hydrogenated, fish, frying, shortening, spray, confection*, high, lecithin");
            (oil && !odd).then_some(Oil)
        }
        Cat::Beverages => {
            if w.any("protein powder, whey protein") && !w.any("shake, slimfast, meal replacement")
            {
                Some(ProteinPowder)
            } else if w.any("almond drink, rice drink, oat drink, coconut drink")
                && !w.any("chocolate*")
            {
                Some(Milk)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn meat_kind(w: &Words, category: &str) -> Option<FoodKind> {
    use FoodKind::*;
    if w.has("bacon") && !w.any("raw, bits, canadian") {
        return w.any(COOKED).then_some(BreakfastMeat);
    }
    if w.any(ODD_MEAT) || w.has("raw") {
        return None;
    }
    if w.has("ham") && w.any("cured, sliced") {
        return w
            .any("heated, unheated, roasted, sliced, cooked")
            .then_some(DeliMeat);
    }
    if w.any("sausage*, frankfurter*") {
        return None;
    }
    let animal_ok = match Cat::of(category) {
        Cat::Lamb => {
            w.any("lamb, veal, goat, bison, buffalo, deer, venison, elk, moose, caribou, antelope")
        }
        Cat::Poultry => {
            w.any("chicken, turkey, duck, goose, kornish, quail, pheasant") && !w.has("back")
        }
        _ => true,
    };
    (animal_ok && w.any(COOKED)).then_some(Meat)
}

fn dairy_kind(w: &Words) -> Option<FoodKind> {
    use FoodKind::*;
    let first = w.first();
    if first == "egg" || first == "eggs" {
        let odd = w.any("mix, dried, powder, frozen, yolk, duck, goose, quail, turkey, sugared");
        return (!odd).then_some(if w.has("hard") { BoiledEgg } else { Egg });
    }
    if w.starts("protein supplement") {
        return Some(ProteinPowder);
    }
    match first {
        "milk" => {
            let odd = w.any(
                "dry, powder, canned, evaporated, condensed, human, malted, shake*, chocolate*, \
                imitation, filled, buttermilk, dessert, cocoa, producer, buffalo, low sodium",
            );
            (!odd && w.any("fluid, whole, lowfat, nonfat, reduced")).then_some(Milk)
        }
        "kefir" => Some(Milk),
        "yogurt" => (!w.any("frozen, chocolate*")).then_some(Yogurt),
        "cheese" => {
            if w.any("cottage, ricotta") {
                Some(FreshCheese)
            } else if w
                .any("spread, sauce, food, product, imitation, cheez*, process*, fat free, nonfat")
            {
                None
            } else {
                Some(Cheese)
            }
        }
        "cream" => w.any("heavy, whipping, half, light").then_some(Cream),
        "sour" => w.has("sour cream").then_some(Cream),
        "butter" => (!w.any("oil, whipped")).then_some(Butter),
        _ => None,
    }
}

fn legume_kind(w: &Words) -> Option<FoodKind> {
    use FoodKind::*;
    if w.any("soygurt, tofugurt") {
        return Some(Yogurt);
    }
    if w.has("tofu") {
        return (!w.any("fermented, fuyu, dried, mayonnaise")).then_some(PlantProtein);
    }
    if w.any("tempeh, natto") {
        return Some(PlantProtein);
    }
    if w.any("soy protein isolate, soy protein concentrate") {
        return Some(ProteinPowder);
    }
    if w.has("soymilk") {
        return (!w.any("creamer, nog, chai, mocha, coffee, chocolate*")).then_some(Milk);
    }
    if w.any("peanut spread, peanuts") {
        return (!w.any("flour, oil, omega")).then_some(Nuts);
    }
    if w.has("hummus") {
        return Some(Spread);
    }
    if w.any("morningstar, worthington, loma, gardenburger, veggie burger*, plantbased, falafel") {
        let odd = w.any("entree, lasagna, sandwich, dog, pizza, enchilada, gravy, chili, biscuit, muffin, roll, \
            crumbles, breakfast, nugget*, wings, riblets");
        return (!odd).then_some(MeatAnalogue);
    }
    let legume = w.any(
        "bean*, lentil*, chickpea*, pea, peas, cowpea*, soybean*, refried, edamame, broadbean*",
    );
    let odd = w.any(
        "raw, flour, sprouted, pork, bacon, chili, sauce, meal, campbell*, pace, frank*, \
        sweetened, yokan",
    );
    (legume && !odd && w.any(COOKED)).then_some(Legume)
}

fn vegetable_kind(w: &Words, name: &str) -> Option<FoodKind> {
    use FoodKind::*;
    // Branded products ("CAMPBELL'S ...") are composite.
    if name
        .split([',', ' '])
        .next()
        .is_some_and(|t| t.len() > 2 && t.chars().all(|c| !c.is_lowercase()))
    {
        return None;
    }
    let odd = w.any(
        "juice, pickle*, relish, catsup, ketchup, sauce, paste, puree, powder, flakes, \
        dehydrated, dried, soup, souffle, pancake*, puff*, salad, rings, french, hash, gratin, \
        scalloped, unprepared, smoothie, creamed, flour, chips, leaves, seed, seeds, hot, \
        chili, jalapeno, pimento, pudding, o brien, stuffed, taro, cassava, mountain yam, mix, \
        pie, candied, glazed, sweetened, syrup, flowers, harvard",
    );
    if odd {
        return None;
    }
    let f = w.first();
    const STARCHY: &str =
        "potatoes, potato, sweet, corn, yam, parsnips, plantains, succotash, lima";
    let starchy = one_of(STARCHY, f)
        || (f == "squash" && w.has("winter"))
        || (f == "peas" && w.has("green") && !w.has("edible"));
    let legume = f == "edamame" || (f == "soybeans" && w.has("green"));
    const VEG: &str = "asparagus, beans, beets, beet, broccoli, brussels, cabbage, carrots, carrot, \
        cauliflower, celery, chard, collards, cucumber, aubergine, endive, escarole, kale, \
        kohlrabi, leeks, lettuce, mushrooms, mushroom, mustard, okra, onions, peppers, pepper, \
        pumpkin, radishes, radicchio, spinach, squash, tomatoes, turnips, turnip, watercress, \
        arugula, artichokes, bamboo, mung, peas, vegetables, yambean, waterchestnuts, celeriac, \
        chayote, sauerkraut, tomatillos, fennel, hearts, broccoli raab";
    // Dry beans, mung seeds, mustard seed and hot peppers are not this kind.
    let other_sense = match f {
        "beans" => !w.any("snap, green, yellow, italian"),
        "mung" => !w.has("sprouted"),
        "mustard" => !w.has("greens"),
        "peppers" => !w.has("sweet"),
        _ => false,
    };
    let veg = one_of(VEG, f) && !other_sense;
    if w.has("raw") {
        const SNACKABLE: &str = "carrots, carrot, celery, cucumber, peppers, tomatoes, radishes, yambean, broccoli, \
            cauliflower";
        const SALAD: &str = "lettuce, spinach, arugula, cabbage, endive, escarole, watercress, radicchio, kale, \
            mushrooms, onions, fennel, mung, peas";
        if !veg {
            return None;
        }
        if one_of(SNACKABLE, f) {
            return Some(SaladVeg);
        }
        return one_of(SALAD, f).then_some(Vegetable);
    }
    if !w.any(COOKED) {
        return None;
    }
    if legume {
        Some(Legume)
    } else if starchy {
        Some(Starchy)
    } else {
        veg.then_some(Vegetable)
    }
}

fn fruit_kind(w: &Words) -> Option<FoodKind> {
    use FoodKind::*;
    let f = w.first();
    if f == "avocados" || f == "avocado" {
        return Some(Avocado);
    }
    if f == "plantains" {
        return (w.any(COOKED) && !w.has("raw")).then_some(Starchy);
    }
    // "Orange juice", not "Pineapple, canned, juice pack".
    if w.head().contains("juice") {
        let ok = one_of(
            "orange, apple, grapefruit, pineapple, tangerine, pomegranate",
            f,
        );
        let odd =
            w.any("undiluted, drink, cocktail, blend, smoothie, sweetened, frozen, with, powder");
        return (ok && !odd).then_some(Juice);
    }
    let odd = w.any(
        "nectar, syrup, filling, sauce, candied, maraschino, relish, peel, pulp, dehydrated, \
        sweetened, sugar, smoothie, stewed, frozen, heavy, puree",
    );
    if odd {
        return None;
    }
    const FRUIT: &str = "apples, applesauce, apricots, bananas, blackberries, blueberries, boysenberries, \
        cherries, clementines, figs, grapefruit, grapes, guavas, kiwifruit, mangos, mango, \
        melons, melon, mulberries, nectarines, oranges, papayas, papaya, peaches, pears, \
        persimmons, pineapple, plums, pomegranates, raspberries, strawberries, tangerines, \
        watermelon, litchis, fruit";
    const DRIED: &str = "dates, raisins, prunes, currants";
    if one_of(DRIED, f) || (one_of(FRUIT, f) && w.has("dried")) {
        return (!w.has("cooked")).then_some(DriedFruit);
    }
    if f == "fruit" && !w.any("cocktail, salad") {
        return None;
    }
    if f == "cranberries" || w.has("dried") {
        return None;
    }
    one_of(FRUIT, f).then_some(Fruit)
}

fn cereal_kind(w: &Words) -> Option<FoodKind> {
    use FoodKind::*;
    if w.starts("cereals ready") {
        let sugary = w.any(
            "frosted, chocolate*, cocoa*, marshmallow*, cookie*, fruity, s mores, trix, lucky, \
            chocula, crunch, froot, jacks, pops, puffs, smacks, krispies treats, pebbles, scooby, \
            sweet, honey*, sugar*, cinnamon, caramel*, oops, quisp, cap n",
        );
        return (!sugary).then_some(ColdCereal);
    }
    if !w.starts("cereals") {
        return None;
    }
    if w.any("cheese*, bacon, chocolate*, maple, sugar*, butter") {
        return None;
    }
    if w.any("cooked, prepared") {
        return Some(HotCereal);
    }
    (w.has("oats") && w.has("dry") && !w.has("instant")).then_some(ColdCereal)
}

fn baked_kind(w: &Words) -> Option<FoodKind> {
    use FoodKind::*;
    let f = w.first();
    let odd = w.any(
        "crumbs, stuffing, sticks, dough, pudding, cubes, mix, batter, sweet, cinnamon, raisin, \
        frozen, garlic, cheese, coating, crust, shells, chips, pastry, toaster, refrigerated, \
        banana, pumpkin, zucchini, cornbread",
    );
    if odd {
        return None;
    }
    if one_of("bread, bagels, english, rolls, tortillas, pita", f)
        || (w.has("bread") && w.has("glutenfree"))
    {
        return Some(Bread);
    }
    if one_of("pancakes, waffles, waffle, french", f) {
        return Some(Pancake);
    }
    if f == "crackers" {
        return Some(SnackFood);
    }
    None
}
