//! Workout categories: a public list with counts; staff create and edit.

use super::{
    dto::{CategoryCreate, CategoryResponse, CategoryUpdate},
    entity::{category, workout},
};
use crate::{
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TryIntoModel,
};
use std::collections::HashMap;

/// `Upper Body & Core` -> `upper-body-core`.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        // A slug must not read as an id: `?category=` takes either.
        && !s.bytes().all(|b| b.is_ascii_digit())
}

pub async fn list_categories(state: &AppState) -> AppResult<Vec<CategoryResponse>> {
    let cats = category::Entity::find()
        .order_by_asc(category::Column::Name)
        .order_by_asc(category::Column::Id)
        .all(&state.db)
        .await?;
    let counts: HashMap<i64, i64> = workout::Entity::find()
        .select_only()
        .column(workout::Column::CategoryId)
        .column_as(workout::Column::Id.count(), "n")
        .group_by(workout::Column::CategoryId)
        .into_tuple::<(i64, i64)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    Ok(cats
        .into_iter()
        .map(|c| CategoryResponse {
            workout_count: counts.get(&c.id).copied().unwrap_or(0),
            id: c.id,
            name: c.name,
            slug: c.slug,
        })
        .collect())
}

fn check(errors: &mut FieldErrors, name: Option<&str>, slug: Option<&str>) {
    if let Some(n) = name
        && (n.trim().is_empty() || n.chars().count() > 100)
    {
        errors.add("name", "Enter a name of 1 to 100 characters.");
    }
    if let Some(s) = slug
        && !valid_slug(s)
    {
        errors.add(
            "slug",
            "Use lower-case letters, digits and hyphens (not only digits).",
        );
    }
}

async fn save(state: &AppState, am: category::ActiveModel) -> AppResult<category::Model> {
    match am.save(&state.db).await {
        Ok(saved) => {
            // Workouts show their category's name and slug.
            state.catalogue_changed();
            Ok(saved.try_into_model()?)
        }
        Err(e) if crate::platform::db::is_unique_violation(&e) => Err(AppError::conflict(
            "conflict",
            "A category with this slug exists.",
        )),
        Err(e) => Err(e.into()),
    }
}

fn to_response(c: category::Model, workout_count: i64) -> CategoryResponse {
    CategoryResponse {
        id: c.id,
        name: c.name,
        slug: c.slug,
        workout_count,
    }
}

pub async fn create_category(state: &AppState, req: CategoryCreate) -> AppResult<CategoryResponse> {
    let slug = req.slug.clone().unwrap_or_else(|| slugify(&req.name));
    let mut errors = FieldErrors::new();
    check(&mut errors, Some(&req.name), Some(&slug));
    errors.into_result()?;
    let now = state.now();
    let saved = save(
        state,
        category::ActiveModel {
            name: Set(req.name.trim().to_string()),
            slug: Set(slug),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    Ok(to_response(saved, 0))
}

pub async fn update_category(
    state: &AppState,
    id: i64,
    req: CategoryUpdate,
) -> AppResult<CategoryResponse> {
    let c = category::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut errors = FieldErrors::new();
    check(&mut errors, req.name.as_deref(), req.slug.as_deref());
    errors.into_result()?;
    let mut am: category::ActiveModel = c.into();
    if let Some(n) = req.name {
        am.name = Set(n.trim().to_string());
    }
    if let Some(s) = req.slug {
        am.slug = Set(s);
    }
    am.updated_at = Set(state.now());
    let saved = save(state, am).await?;
    let count = workout::Entity::find()
        .filter(workout::Column::CategoryId.eq(saved.id))
        .count(&state.db)
        .await?;
    Ok(to_response(saved, i64::try_from(count).unwrap_or(i64::MAX)))
}

/// The standard categories `fitcore seed` creates (idempotent).
pub const STANDARD: &[(&str, &str)] = &[
    ("Strength", "strength"),
    ("Cardio", "cardio"),
    ("HIIT", "hiit"),
    ("Yoga", "yoga"),
    ("Pilates", "pilates"),
    ("Mobility & Stretching", "mobility"),
    ("Core", "core"),
    ("Bodyweight", "bodyweight"),
];

pub async fn seed_standard(state: &AppState) -> AppResult<usize> {
    let mut created = 0;
    for (name, slug) in STANDARD {
        let exists = category::Entity::find()
            .filter(category::Column::Slug.eq(*slug))
            .one(&state.db)
            .await?
            .is_some();
        if !exists {
            create_category(
                state,
                CategoryCreate {
                    name: (*name).into(),
                    slug: Some((*slug).into()),
                },
            )
            .await?;
            created += 1;
        }
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_url_safe_slugs() {
        assert_eq!(slugify("Upper Body & Core"), "upper-body-core");
        assert_eq!(slugify("  HIIT!  "), "hiit");
        assert!(!valid_slug("123"), "digits alone would read as an id");
        assert!(valid_slug("core-2"));
    }
}
