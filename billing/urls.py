from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("purchase", views.PurchaseView.as_view(), name="purchase"),
    path("purchase/packs/<int:pk>/", views.PackDetailView.as_view(), name="pack_detail"),
    path("purchase/packs/<int:pk>/buy", views.PackBuyView.as_view(), name="pack_buy"),
    path("purchase/plans/<int:pk>/", views.RatePlanDetailView.as_view(), name="plan_detail"),
    path("purchase/plans/<int:pk>/select", views.RatePlanSelectView.as_view(), name="plan_select"),
    path("purchase/request-plans", views.RatePlanRequestView.as_view(), name="plan_request"),
    path("top-up", views.TopUpView.as_view(), name="top_up"),
    path("finance", views.FinanceView.as_view(), name="finance"),
    path("finance/<int:pk>/", views.TransactionDetailView.as_view(), name="transaction_detail"),
    path("finance/<int:pk>/export.xlsx", views.TransactionExportView.as_view(), name="transaction_export"),
]
