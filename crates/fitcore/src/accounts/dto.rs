//! Request and response bodies of `auth/` and `users/`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// `Some(None)` for an explicit null, `None` when the field is absent.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// TOTP code or recovery code, when two-factor authentication is on.
    #[serde(default)]
    pub otp: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmRequest {
    pub uid: String,
    pub token: String,
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthRequest {
    pub id_token: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// The nonce the client put in the sign-in request, if any.
    #[serde(default)]
    pub nonce: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    pub otp: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorDisableRequest {
    pub password: String,
    pub otp: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: UserResponse,
    pub access: String,
    pub refresh: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthResponse {
    pub user: UserResponse,
    pub access: String,
    pub refresh: String,
    /// True when this sign-in created the account.
    pub created: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorSetupResponse {
    /// Base32 secret for authenticator apps.
    pub secret: String,
    pub otpauth_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    /// Shown once; each works once in place of a code.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct UserResponse {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_email_verified: bool,
    pub is_staff: bool,
    pub date_joined: DateTime<Utc>,
    pub has_active_access: bool,
    pub two_factor_enabled: bool,
    pub profile: ProfileResponse,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
    Other,
    Unspecified,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FitnessGoal {
    LoseWeight,
    BuildMuscle,
    Maintain,
    ImproveEndurance,
    GeneralFitness,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ActivityLevel {
    Sedentary,
    Light,
    Moderate,
    Active,
    VeryActive,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DietaryPreference {
    Vegetarian,
    Vegan,
    Pescatarian,
    Keto,
    Paleo,
    GlutenFree,
    DairyFree,
    Halal,
    Kosher,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Units {
    Metric,
    Imperial,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct ProfileResponse {
    pub birth_date: Option<NaiveDate>,
    /// Whole years, from `birth_date` in the user's time zone.
    pub age: Option<u32>,
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
    #[schema(value_type = Gender)]
    pub gender: String,
    #[schema(value_type = FitnessGoal)]
    pub fitness_goal: String,
    #[schema(value_type = ActivityLevel)]
    pub activity_level: String,
    #[schema(value_type = Vec<DietaryPreference>)]
    pub dietary_preferences: serde_json::Value,
    #[schema(value_type = Vec<String>)]
    pub allergies: serde_json::Value,
    pub profile_image: Option<String>,
    pub timezone: String,
    #[schema(value_type = Units)]
    pub units: String,
}

/// PATCH `users/profile/`: fields left out keep their values; `null`
/// clears the nullable ones.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub birth_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>, minimum = 20, maximum = 400)]
    pub weight_kg: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>, minimum = 50, maximum = 272)]
    pub height_cm: Option<Option<f64>>,
    #[serde(default)]
    pub gender: Option<Gender>,
    #[serde(default)]
    pub fitness_goal: Option<FitnessGoal>,
    #[serde(default)]
    pub activity_level: Option<ActivityLevel>,
    #[serde(default)]
    pub dietary_preferences: Option<Vec<DietaryPreference>>,
    #[serde(default)]
    pub allergies: Option<Vec<String>>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub units: Option<Units>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsResponse {
    /// Local time of the daily reminder, "HH:MM", or null for none.
    pub reminder_time: Option<String>,
    pub timezone: String,
    #[schema(value_type = Units)]
    pub units: String,
    pub language: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "07:30")]
    pub reminder_time: Option<Option<String>>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub units: Option<Units>,
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileImageResponse {
    pub profile_image: Option<String>,
}
