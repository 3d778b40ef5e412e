"""Admin Panel URLs of the billing pages (included by adminpanel/urls.py, in its namespace)."""

from django.urls import path

from adminpanel.views import billing_catalog as catalog
from adminpanel.views import billing_finance as finance
from adminpanel.views import billing_reference as reference

urlpatterns = [
    path("reference-book/", reference.NetworkListView.as_view(), name="network_list"),
    path("reference-book/networks/new", reference.NetworkEditView.as_view(), name="network_create"),
    path("reference-book/networks/<str:mcc>/<str:mnc>/", reference.NetworkEditView.as_view(), name="network_edit"),
    path("reference-book/networks/<str:mcc>/<str:mnc>/prefixes", reference.PrefixAddView.as_view(), name="prefix_add"),
    path("reference-book/prefixes/<str:prefix>/delete", reference.PrefixDeleteView.as_view(), name="prefix_delete"),
    path("reference-book/countries/<str:iso>/", reference.CountryEditView.as_view(), name="country_edit"),
    path("reference-book/upload", reference.ReferenceBookUploadView.as_view(), name="book_upload"),
    path("reference-book/export.csv", reference.ReferenceBookExportView.as_view(), name="book_export"),
    path("packs/", catalog.PackListView.as_view(), name="pack_list"),
    path("packs/new", catalog.PackCreateView.as_view(), name="pack_create"),
    path("packs/<int:pk>/", catalog.PackEditView.as_view(), name="pack_edit"),
    path("rate-plans/", catalog.RatePlanListView.as_view(), name="rate_plan_list"),
    path("rate-plans/new", catalog.RatePlanCreateView.as_view(), name="rate_plan_create"),
    path("rate-plans/<int:pk>/", catalog.RatePlanEditView.as_view(), name="rate_plan_edit"),
    path("rate-plans/<int:pk>/rates", catalog.RatePlanRatesView.as_view(), name="rate_plan_rates"),
    path("rate-plans/<int:pk>/rates.csv", catalog.RatesExportView.as_view(), name="rate_plan_export"),
    path("rate-plans/<int:pk>/assign", catalog.RatePlanAssignView.as_view(), name="rate_plan_assign"),
    path("rate-plans/<int:pk>/derive", catalog.RatePlanDeriveView.as_view(), name="rate_plan_derive"),
    path("rates/<int:pk>/delete", catalog.RateDeleteView.as_view(), name="rate_delete"),
    path("subscriptions/", catalog.SubscriptionListView.as_view(), name="subscription_list"),
    path("subscriptions/<int:pk>/end", catalog.SubscriptionEndView.as_view(), name="subscription_end"),
    path("finance/", finance.TransactionListView.as_view(), name="transaction_list"),
    path("finance/<int:pk>/", finance.TransactionDetailView.as_view(), name="transaction_detail"),
    path("finance/<int:pk>/rerate", finance.TransactionRerateView.as_view(), name="transaction_rerate"),
    path("finance/payment", finance.PaymentCreateView.as_view(), name="payment_create"),
    path("top-ups/", finance.TopUpListView.as_view(), name="top_up_list"),
    path("top-ups/<int:pk>/confirm", finance.TopUpDecisionView.as_view(approve=True), name="top_up_confirm"),
    path("top-ups/<int:pk>/decline", finance.TopUpDecisionView.as_view(approve=False), name="top_up_decline"),
    path("rate-plan-requests/", finance.RatePlanRequestListView.as_view(), name="rate_plan_request_list"),
    path(
        "rate-plan-requests/<int:pk>/approve",
        finance.RatePlanRequestDecisionView.as_view(approve=True),
        name="rate_plan_request_approve",
    ),
    path(
        "rate-plan-requests/<int:pk>/decline",
        finance.RatePlanRequestDecisionView.as_view(approve=False),
        name="rate_plan_request_decline",
    ),
]
