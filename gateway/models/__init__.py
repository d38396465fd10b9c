"""The unified schema. Importing this package registers every table on `Base.metadata`."""

from gateway.models.account import Account, AccountBalance, AccountNumber, AccountOwner
from gateway.models.audit import AuditEntry
from gateway.models.base import Base
from gateway.models.developer import ApiKey, App, AppConfiguration, Developer, Organization
from gateway.models.end_user import EndUser
from gateway.models.institution import Institution, InstitutionRoute
from gateway.models.investment import Holding, InvestmentTransaction, Security
from gateway.models.link import Link, LinkAccessToken, LinkSession
from gateway.models.provider_setting import AppProviderSetting, ProviderProblem
from gateway.models.refresh import RefreshJob, UpstreamDisconnect
from gateway.models.revoked_token import RevokedToken
from gateway.models.signing_key import SigningKey
from gateway.models.transaction import Transaction, TransactionDayCount
from gateway.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEvent
from gateway.models.yodlee import YodleeId, YodleeSubscription

__all__ = [
    "Account",
    "AccountBalance",
    "AccountNumber",
    "AccountOwner",
    "ApiKey",
    "App",
    "AppProviderSetting",
    "AuditEntry",
    "ProviderProblem",
    "AppConfiguration",
    "Base",
    "Developer",
    "EndUser",
    "Holding",
    "Institution",
    "InstitutionRoute",
    "InvestmentTransaction",
    "Link",
    "LinkAccessToken",
    "LinkSession",
    "Organization",
    "RefreshJob",
    "UpstreamDisconnect",
    "RevokedToken",
    "Security",
    "SigningKey",
    "Transaction",
    "TransactionDayCount",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "YodleeId",
    "YodleeSubscription",
]
