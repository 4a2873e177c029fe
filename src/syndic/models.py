"""Imports every table module so ``Base.metadata`` is complete (for Alembic and tests)."""

from syndic import coalition
from syndic.access import models as access_models
from syndic.auth import service as auth_service
from syndic.bargaining import models as bargaining_models
from syndic.deals import models as deals_models
from syndic.detection import models as detection_models
from syndic.gate import models as gate_models
from syndic.governance import models as governance_models
from syndic.members import models as members_models
from syndic.payouts import ledger
from syndic.payouts import models as payouts_models
from syndic.provenance import models as provenance_models
from syndic.terms import models as terms_models
from syndic.valuation import models as valuation_models

__all__ = [
    "access_models",
    "auth_service",
    "bargaining_models",
    "coalition",
    "deals_models",
    "detection_models",
    "gate_models",
    "governance_models",
    "ledger",
    "members_models",
    "payouts_models",
    "provenance_models",
    "terms_models",
    "valuation_models",
]
