//! Diet facts and allergens, derived from a USDA food-group name and the
//! food's long name.
//!
//! USDA SR28 has no ingredient lists, so everything here is a keyword
//! judgement. It errs on the safe side: a flag is `true` only when the
//! category and name leave no reasonable doubt, and an allergy matches
//! whenever a food *may* contain the allergen. Wrongly excluding a food
//! costs a little variety; wrongly including one can hurt a user.
//!
//! Religious diets are judged by the kind of food (no pork, no shellfish,
//! permitted animals only, no alcohol or gelatin). Whether the meat was
//! slaughtered and certified accordingly is a sourcing question the data
//! cannot answer; the app's copy should say so.

use super::words::Words;
use crate::accounts::dto::DietaryPreference;

/// Diet facts about a food, derived from its USDA category and name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DietFlags {
    pub vegan: bool,
    pub vegetarian: bool,
    pub pescatarian: bool,
    pub gluten_free: bool,
    pub dairy_free: bool,
    pub keto: bool,
    pub paleo: bool,
    pub halal: bool,
    pub kosher: bool,
}

/// The 25 USDA SR28 food groups. Unknown names map to `Other`, which is
/// treated like a composite dish (nothing is assumed about it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cat {
    Dairy,
    Spices,
    Baby,
    Fats,
    Poultry,
    Soups,
    Sausages,
    Cereals,
    Fruits,
    Pork,
    Vegetables,
    Nuts,
    Beef,
    Beverages,
    Seafood,
    Legumes,
    Lamb,
    Baked,
    Sweets,
    Grains,
    FastFoods,
    Meals,
    Snacks,
    Native,
    Restaurant,
    Other,
}

impl Cat {
    pub(super) fn of(category: &str) -> Cat {
        match category.trim() {
            "Dairy and Egg Products" => Cat::Dairy,
            "Spices and Herbs" => Cat::Spices,
            "Baby Foods" => Cat::Baby,
            "Fats and Oils" => Cat::Fats,
            "Poultry Products" => Cat::Poultry,
            "Soups, Sauces, and Gravies" => Cat::Soups,
            "Sausages and Luncheon Meats" => Cat::Sausages,
            "Breakfast Cereals" => Cat::Cereals,
            "Fruits and Fruit Juices" => Cat::Fruits,
            "Pork Products" => Cat::Pork,
            "Vegetables and Vegetable Products" => Cat::Vegetables,
            "Nut and Seed Products" => Cat::Nuts,
            "Beef Products" => Cat::Beef,
            "Beverages" => Cat::Beverages,
            "Finfish and Shellfish Products" => Cat::Seafood,
            "Legumes and Legume Products" => Cat::Legumes,
            "Lamb, Veal, and Game Products" => Cat::Lamb,
            "Baked Products" => Cat::Baked,
            "Sweets" => Cat::Sweets,
            "Cereal Grains and Pasta" => Cat::Grains,
            "Fast Foods" => Cat::FastFoods,
            "Meals, Entrees, and Side Dishes" => Cat::Meals,
            "Snacks" => Cat::Snacks,
            "American Indian/Alaska Native Foods" => Cat::Native,
            "Restaurant Foods" => Cat::Restaurant,
            _ => Cat::Other,
        }
    }

    fn is_meat(self) -> bool {
        matches!(
            self,
            Cat::Beef | Cat::Pork | Cat::Lamb | Cat::Poultry | Cat::Sausages
        )
    }

    /// Mixed dishes whose recipe varies: no diet flag is ever claimed.
    pub(super) fn is_composite(self) -> bool {
        matches!(
            self,
            Cat::FastFoods
                | Cat::Restaurant
                | Cat::Meals
                | Cat::Soups
                | Cat::Baby
                | Cat::Native
                | Cat::Other
        )
    }
}

const MEAT_WORDS: &str = "beef, pork, ham, bacon, chicken, turkey, duck, goose, lamb, mutton, veal, venison, \
    sausage*, salami, pepperoni, bologna, frankfurter*, meat*, gelatin*, lard, suet, \
    tallow, animal fat, broth, bouillon, gravy, pate, liver*, giblet*, rabbit, bison, elk, \
    quail, pheasant, ostrich, emu, frog, turtle, snail*, escargot, chorizo, kielbasa, \
    bratwurst, pastrami, prosciutto, jerky, pancetta, schmaltz, crackling*, marrow, \
    collagen, carmine, cochineal, marshmallow*, gummy, gummi, jell, poultry, drippings, \
    mincemeat, headcheese, scrapple, liverwurst, braunschweiger, kornish, squab, dove, \
    grouse, moose, caribou, seal, walrus, whale, beefalo, deer, boar, bear, squirrel, \
    frank*, wiener*, tripe, menudo, chili with, con carne, oxtail";

pub(super) const FISH_WORDS: &str = "fish*, anchov*, tuna, salmon, cod, sardine*, herring, mackerel, trout, tilapia, \
    halibut, haddock, pollock, catfish, swordfish, snapper, roe, caviar, surimi, \
    worcestershire, caesar, bonito, dashi, bangus, stromateid, whitefish, sturgeon, eel";

pub(super) const SHELLFISH_WORDS: &str = "shrimp, prawn*, crab*, lobster*, crayfish, crawfish, langoust*, krill, clam*, mussel*, \
    oyster*, scallop*, squid, calamari, octopus, snail*, escargot, abalone, conch, whelk*, \
    cuttlefish, cockle*, crustacean*, mollus*, shellfish, seafood, paella, jambalaya, \
    gumbo, bouillabaisse, chowder";

const DAIRY_WORDS: &str = "milk*, cheese*, butter*, cream*, yogurt*, yoghurt*, whey, casein*, caseinate*, lactose, \
    lactalbumin, ghee, kefir, custard*, pudding*, queso, ricotta, mozzarella, parmesan, \
    cheddar, paneer, alfredo, gratin, nougat, caramel*, fudge, chocolate*, eggnog, latte, \
    cappuccino, shake*, leche, curd*, scalloped, cheez*, velveeta, bechamel, tzatziki, \
    lassi, margarine*, whipped topping";

pub(super) const EGG_WORDS: &str = "egg, eggnog, eggo, mayonnaise, mayo, meringue*, albumen, albumin, french toast, \
    pancake*, waffle*, custard*, quiche, souffle, hollandaise, aioli, brioche, challah, \
    popover*";

const HONEY_WORDS: &str = "honey*, beeswax, royal jelly, bee pollen";

/// Batters and breadings usually hold egg or milk; vitamin D3 and shellac
/// are animal-derived.
const NOT_VEGAN_EXTRA: &str = "breaded, batter*, d3, lanolin, shellac, bone char";

const ALCOHOL_WORDS: &str = "alcohol*, wine*, beer*, ale, lager, rum, vodka, whiskey, whisky, gin, brandy, liqueur*, \
    sherry, sake, mirin, marsala, kahlua, bourbon, daiquiri, margarita, martini, \
    pina colada, extract, hard cider, proof, malt beverage";

const PORK_WORDS: &str = "pork, ham, bacon, lard, pepperoni, salami, prosciutto, pancetta, chorizo, frankfurter*, \
    bologna, sausage*, kielbasa, bratwurst, crackling*, chitterling*, gelatin*, \
    marshmallow*, gummy, gummi, jell, boar, scrapple, headcheese, blood, frank*, wiener*";

/// Grains and products that contain gluten. Gluten-free grains (rice,
/// corn, buckwheat, quinoa, ...) never match: "buckwheat" is one word.
pub(super) const GLUTEN_WORDS: &str = "wheat*, barley, rye, malt*, bread*, batter*, flour*, pasta, spaghetti, macaroni, \
    noodle*, couscous, semolina, durum, farina, bulgur, seitan, gluten*, spelt, kamut, \
    khorasan, einkorn, emmer, triticale, cracker*, biscuit*, cookie*, cake*, pie, pastry, \
    croissant*, muffin*, bagel*, pretzel*, pancake*, waffle*, tortilla*, pizza, crouton*, \
    stuffing, dumpling*, wonton*, soy sauce, shoyu, teriyaki, hydrolyzed, graham, oat*, \
    bran, beer*, ale, lager, crumb, coating, roux, gravy, licorice, miso, matzo*, panko, \
    orzo, ramen, udon, soba, gnocchi, empanada*, burrito*, sandwich*, burger*, brewer*, \
    meatball*, meatloaf, granola, muesli, cone*, seasoning, bouillon, imitation,  \
    breakfast bar*, morningstar, worthington, loma, gardenburger, plantbased, vegetarian, \
    veggie, extender, sausage*, frankfurter*, bologna, luncheon, loaf";

/// True when every preference in `prefs` is satisfied by `flags`.
pub fn fits_diet(flags: DietFlags, prefs: &[DietaryPreference]) -> bool {
    prefs.iter().all(|p| match p {
        DietaryPreference::Vegetarian => flags.vegetarian,
        DietaryPreference::Vegan => flags.vegan,
        DietaryPreference::Pescatarian => flags.pescatarian,
        DietaryPreference::Keto => flags.keto,
        DietaryPreference::Paleo => flags.paleo,
        DietaryPreference::GlutenFree => flags.gluten_free,
        DietaryPreference::DairyFree => flags.dairy_free,
        DietaryPreference::Halal => flags.halal,
        DietaryPreference::Kosher => flags.kosher,
    })
}

/// Diet facts from the USDA category and long name. Conservative: when
/// unsure, a flag is `false`. The keto flag here is judged by kind of food
/// only; [`keto_by_nutrients`] adds the carbohydrate check.
pub fn diet_flags(category: &str, name: &str) -> DietFlags {
    flags_of(Cat::of(category), &Words::new(name))
}

/// [`diet_flags`] for an already tokenised name.
pub(super) fn flags_of(cat: Cat, w: &Words) -> DietFlags {
    if cat.is_composite() {
        return DietFlags::default();
    }
    let plain_egg = cat == Cat::Dairy
        && w.any("egg, eggs")
        && w.first().starts_with("egg")
        && !w.any("substitute, mix, nog");
    // Baked beans are usually cooked with salt pork and traditional
    // refried beans with lard, unless the name says otherwise.
    let hidden_meat = (w.has("beans") && w.has("baked") && !w.has("vegetarian"))
        || (w.any("refried, frijoles") && !w.any("vegetarian, fat free"));
    let meat = cat.is_meat() || w.any(MEAT_WORDS) || hidden_meat;
    let fish = cat == Cat::Seafood || w.any(FISH_WORDS) || w.any(SHELLFISH_WORDS);
    let shellfish = w.any(SHELLFISH_WORDS) || (cat == Cat::Seafood && w.any("jellyfish"));
    let dairy = w.any(DAIRY_WORDS) || (cat == Cat::Dairy && !plain_egg);
    let egg = w.any(EGG_WORDS) || plain_egg;
    let honey = w.any(HONEY_WORDS);
    let alcohol = w.any(ALCOHOL_WORDS);

    let vegetarian = !meat && !fish;
    let pescatarian = !meat;
    let vegan = vegetarian
        && !dairy
        && !egg
        && !honey
        && !w.any(NOT_VEGAN_EXTRA)
        && vegan_category_ok(cat, w);
    let dairy_free = !dairy && dairy_free_category_ok(cat, w, plain_egg);
    let gluten_free = gluten_free_ok(cat, w);
    let keto = keto_kind_ok(cat, w, meat || fish);
    let paleo = paleo_ok(cat, w, plain_egg, dairy);
    let pork = cat == Cat::Pork || w.any(PORK_WORDS) || hidden_meat;
    let halal = !pork && !alcohol && !cat_is_sausage(cat) && animal_ok(cat, w, false, shellfish);
    let kosher_forbidden = pork
        || alcohol
        || cat_is_sausage(cat)
        || shellfish
        || (meat && dairy)
        || w.any("grape juice, grape drink");
    let kosher =
        !kosher_forbidden && animal_ok(cat, w, true, shellfish) && (!fish || kosher_fish(w));
    DietFlags {
        vegan,
        vegetarian,
        pescatarian,
        gluten_free,
        dairy_free,
        keto,
        paleo,
        halal,
        kosher,
    }
}

fn cat_is_sausage(cat: Cat) -> bool {
    // Luncheon meats are mostly pork blends or of unknown make-up.
    cat == Cat::Sausages
}

pub(super) fn simple_snack(w: &Words) -> bool {
    w.any("rice cake*, corn cake*, air popped, rice cracker*") && !w.any("cheese*, caramel*")
}

fn plant_drink(w: &Words) -> bool {
    w.any("almond drink, rice drink, coconut drink, oat drink") && !w.any("chocolate*")
}

pub(super) fn hot_cereal(w: &Words) -> bool {
    w.starts("cereals") && !w.starts("cereals ready")
}

fn vegan_category_ok(cat: Cat, w: &Words) -> bool {
    match cat {
        Cat::Dairy | Cat::Baked | Cat::Sweets | Cat::Sausages => false,
        Cat::Cereals => hot_cereal(w),
        Cat::Snacks => simple_snack(w),
        Cat::Beverages => plant_drink(w),
        // Meat analogues often contain egg white or milk protein.
        Cat::Legumes => !w.any("morningstar, worthington, loma, gardenburger, veggie, vegetarian, plantbased, extender, \
            frankfurter*, luncheon, sandwich spread"),
        Cat::Fats => {
            (w.starts("oil") || w.starts("vegetable oil"))
                && !w.any("fish*, cod, industrial")
        }
        _ => true,
    }
}

fn dairy_free_category_ok(cat: Cat, w: &Words, plain_egg: bool) -> bool {
    match cat {
        Cat::Dairy => plain_egg,
        Cat::Baked | Cat::Sweets | Cat::Sausages => false,
        Cat::Cereals => hot_cereal(w),
        Cat::Snacks => simple_snack(w),
        Cat::Beverages => plant_drink(w),
        Cat::Legumes => !w.any("morningstar, worthington, loma, gardenburger, veggie, vegetarian"),
        _ => true,
    }
}

fn gluten_free_ok(cat: Cat, w: &Words) -> bool {
    let labelled = w.has("glutenfree");
    match cat {
        Cat::Baked | Cat::Cereals | Cat::Sweets | Cat::Snacks | Cat::Beverages => {
            labelled
                || (cat == Cat::Cereals && w.any("grits, rice porridge") && !w.any(GLUTEN_WORDS))
                || (cat == Cat::Snacks && simple_snack(w) && !w.any(GLUTEN_WORDS))
                || (cat == Cat::Beverages && plant_drink(w))
        }
        Cat::Sausages => false,
        Cat::Grains => labelled
            || (w.any(
                "rice, corn, cornmeal, hominy, quinoa, millet, buckwheat, amaranth, sorghum, teff, \
                    tapioca, arrowroot, cornstarch, wild, ricenoodles, riceflour, cornflour",
            ) && !w.any(GLUTEN_WORDS)),
        Cat::Spices => !w.any("seasoning, mix") && !w.any(GLUTEN_WORDS),
        _ => labelled || !w.any(GLUTEN_WORDS),
    }
}

/// Keto by kind of food: meat, fish, eggs, cheese, cream, fats, nuts and
/// low-carb vegetables and fruits. Starches, grains, sugars and most fruit
/// are out. The carbohydrate numbers are checked separately.
fn keto_kind_ok(cat: Cat, w: &Words, animal: bool) -> bool {
    let sweet_or_starchy = w.any(
        "honey*, glazed, sweetened, sugar*, barbecue*, bbq, teriyaki, breaded, batter*, flour*, \
        candied, syrup, jam, jelly, juice*, nectar, dried, raisin*, potato*, corn, rice, pasta, \
        noodle*, bread*, cracker*, chestnut*, chocolate*, yam*, plantain*, pea, peas, lentil*, \
        bean*, chickpea*, banana*, grape*, mango*, cereal*, oat*, taro, cassava, parsnip*, \
        sauce, gravy, ketchup, catsup, relish, pickle*",
    );
    if sweet_or_starchy && !w.any("green bean*, snap, soybean*") {
        return false;
    }
    match cat {
        Cat::Beef | Cat::Pork | Cat::Lamb | Cat::Poultry | Cat::Sausages | Cat::Seafood => true,
        Cat::Dairy => w.any("egg, cheese, cream, butter, sour") && !w.any("ice, substitute"),
        Cat::Fats => !w.any("margarine*, dressing, shortening, industrial"),
        Cat::Nuts => true,
        Cat::Vegetables => true,
        Cat::Fruits => w.any("avocado*, olive*, strawberr*, raspberr*, blackberr*, coconut*"),
        Cat::Legumes => w.any("tofu, tempeh, soybean*, soy protein, peanut*, soymilk") && !animal,
        Cat::Beverages => w.any("protein powder, whey protein") || plant_drink(w),
        Cat::Snacks => w.any("pork skins, jerky, beef stick*"),
        Cat::Spices => true,
        _ => false,
    }
}

/// The carbohydrate side of keto: at most 10 g carbs per 100 g, or carbs
/// under 20 % of the food's energy (nuts, whose carbs are largely fibre).
pub fn keto_by_nutrients(kcal: f64, carbs_g: f64) -> bool {
    carbs_g <= 10.0 || carbs_g * 4.0 <= 0.2 * kcal
}

fn paleo_ok(cat: Cat, w: &Words, plain_egg: bool, dairy: bool) -> bool {
    let processed = w.any(
        "cured, sausage*, bacon, ham, luncheon, frankfurter*, breaded, batter*, flour*, gravy, \
        sauce, barbecue*, honey*, glazed, sugar*, sweetened, syrup, candied, canned, imitation, \
        surimi, pickle*, salted, juice*, nectar, drink, cocktail, chocolate*, industrial, \
        hydrogenated, margarine*, dressing, mix, sulfured",
    );
    if processed || dairy {
        return false;
    }
    match cat {
        Cat::Beef | Cat::Pork | Cat::Lamb | Cat::Poultry | Cat::Seafood => true,
        Cat::Dairy => plain_egg,
        Cat::Vegetables => !w.any(
            "bean*, pea, peas, lentil*, soy*, edamame, lima*, chickpea*, corn, potato*, succotash, \
                cowpea*",
        ) || w.any("green bean*, snap, sweet potato*"),
        Cat::Fruits => true,
        Cat::Nuts => true,
        Cat::Fats => w.any("olive, avocado, coconut") && w.starts("oil"),
        Cat::Spices => !w.any("seasoning, mix"),
        _ => false,
    }
}

/// Permitted animals for halal (`kosher == false`) or kosher.
fn animal_ok(cat: Cat, w: &Words, kosher: bool, shellfish: bool) -> bool {
    match cat {
        Cat::Beef => true,
        Cat::Lamb => w.any("lamb, veal, mutton, goat, bison, buffalo, deer, venison, elk, moose, caribou, antelope"),
        Cat::Poultry => {
            w.any("chicken, turkey, duck, goose, quail, squab, pigeon, dove, capon*, kornish")
                || (!kosher
                    && w.any("pheasant, guinea, grouse, ostrich, emu, partridge"))
        }
        // Conservative reading for halal too: finfish only, no shellfish.
        Cat::Seafood => !shellfish && !w.any("frog, turtle"),
        _ => !w.any("frog, turtle, rabbit, horse, bear, squirrel, boar, seal, walrus, whale"),
    }
}

/// Fish with fins and scales (allow-list; anything else is not kosher).
fn kosher_fish(w: &Words) -> bool {
    const OK: &str = "salmon, tuna, cod, haddock, halibut, flounder, sole, trout, tilapia, herring, mackerel, \
        sardine*, anchov*, pollock, bass, carp, whitefish, pike, perch, snapper, grouper, \
        mahimahi, bluefish, pompano, whiting, hake, walleye, smelt, shad, mullet, croaker, \
        tilefish, rockfish, bangus, yellowtail";
    const NOT: &str = "catfish, shark, swordfish, eel, sturgeon, monkfish, skate, ray, lamprey, burbot, pout, \
        turbot, wolffish, cusk, caviar, roe";
    w.any(OK) && !w.any(NOT)
}
