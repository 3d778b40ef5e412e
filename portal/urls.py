from django.contrib.auth.views import LogoutView
from django.urls import path

from portal import account_views, auth_views, views

app_name = "portal"

urlpatterns = [
    path("", auth_views.SignInView.as_view(), name="sign_in"),
    path("sign-in/code", auth_views.OneTimeCodeView.as_view(), name="sign_in_otp"),
    path("sign-out", LogoutView.as_view(), name="sign_out"),
    path("sign-up", auth_views.SignUpView.as_view(), name="sign_up"),
    path("sign-up/confirm/<str:uidb64>/<str:token>", auth_views.SignUpConfirmView.as_view(), name="sign_up_confirm"),
    path("password-reset", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<str:uidb64>/<str:token>",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("account", account_views.MyAccountView.as_view(), name="account"),
    path("account/security", account_views.SecurityView.as_view(), name="account_security"),
    path("account/theme", account_views.ThemeToggleView.as_view(), name="account_theme"),
    path("account/language", account_views.LanguageView.as_view(), name="account_language"),
    path("dashboard", views.DashboardView.as_view(), name="dashboard"),
    *[path(slug, views.SectionView.as_view(section=slug), name=slug.replace("-", "_")) for slug in views.SECTIONS],
]
