"""Demo data: one province with its communes, villages, topics, units, routing rules and accounts.

For a first look and for manual testing only, never for a real deployment: the passwords are
public. This is the one module allowed to know Quảng Ninh (the first deployment, province code
22): the names of its utilities and its mountain communes. Everything else comes from the
`vietnam-provinces` package, so ``load_demo(now, province_code="01")`` works too (without the
mountain communes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from feedback.domain.paths import child_path
from feedback.domain.status import Kind
from feedback.domain.text import fold
from feedback.extensions import db
from feedback.models import Feedback, Locality, LocalityLevel, Role, RoutingRule, Topic, Unit, UnitKind, User
from feedback.services.directory.provinces import import_provinces, localities_by_code, normalize_province_code
from feedback.services.accounts.passwords import verify_password
from feedback.services.accounts.users import create_user
from feedback.services.directory.villages import VillageRow, save_villages
from feedback.services.demo_items import DEMO_ITEMS, load_items

DEMO_PROVINCE_CODE = "22"
EMAIL_DOMAIN = "demo.gopy.local"
VILLAGES_PER_COMMUNE = 3
# Villages are named after the commune's kind: a phường has khu phố, a xã or a đặc khu has thôn.
VILLAGE_KIND = {"phường": "khu phố"}
DEFAULT_VILLAGE_KIND = "thôn"
# Villages of a đặc khu (islands) are remote everywhere; in Quảng Ninh also the highland
# communes of the former Bình Liêu and Ba Chẽ districts: Hoành Mô, Lục Hồn, Kỳ Thượng.
REMOTE_KINDS = frozenset({"đặc khu"})
REMOTE_COMMUNES = frozenset({"06841", "06856", "06979"})

# (code, name, parent code, default kind, resolution working days or None for the law's default)
TOPICS: tuple[tuple[str, str, str | None, Kind | None, int | None], ...] = (
    ("dat-dai", "Đất đai và giải phóng mặt bằng", None, Kind.PETITION, None),
    ("moi-truong", "Môi trường", None, Kind.REPORT, None),
    ("moi-truong.rac-thai", "Rác thải", "moi-truong", Kind.REPORT, None),
    ("moi-truong.nuoc-thai", "Nước thải", "moi-truong", Kind.REPORT, None),
    ("moi-truong.tieng-on", "Tiếng ồn", "moi-truong", Kind.REPORT, None),
    ("giao-thong", "Giao thông và hạ tầng", None, Kind.REPORT, None),
    ("giao-thong.duong", "Đường giao thông", "giao-thong", Kind.REPORT, None),
    # a dark street is a safety matter: the demo's local rules ask for an answer within 5 working days
    ("giao-thong.chieu-sang", "Chiếu sáng", "giao-thong", Kind.REPORT, 5),
    ("dien-nuoc", "Điện và nước", None, Kind.REPORT, None),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính", None, Kind.PETITION, None),
    ("an-ninh-trat-tu", "An ninh trật tự", None, Kind.REPORT, None),
    ("y-te", "Y tế", None, Kind.PETITION, None),
    ("giao-duc", "Giáo dục", None, Kind.PETITION, None),
    ("chinh-sach-xa-hoi", "Chính sách xã hội", None, Kind.PETITION, None),
    ("khac", "Khác", None, Kind.COMMENT, None),
)

# English names of the topics above, for English pages (a topic without one shows its Vietnamese name).
TOPIC_NAMES_EN: dict[str, str] = {
    "dat-dai": "Land and site clearance",
    "moi-truong": "Environment",
    "moi-truong.rac-thai": "Waste",
    "moi-truong.nuoc-thai": "Wastewater",
    "moi-truong.tieng-on": "Noise",
    "giao-thong": "Transport and infrastructure",
    "giao-thong.duong": "Roads",
    "giao-thong.chieu-sang": "Street lighting",
    "dien-nuoc": "Electricity and water",
    "thu-tuc-hanh-chinh": "Administrative procedures",
    "an-ninh-trat-tu": "Security and public order",
    "y-te": "Health",
    "giao-duc": "Education",
    "chinh-sach-xa-hoi": "Social policy",
    "khac": "Other",
}

# (code prefix, name, kind); "{short}" is the province's name without "Tỉnh"/"Thành phố".
PROVINCIAL_UNITS: tuple[tuple[str, str, UnitKind], ...] = (
    ("SNNMT", "Sở Nông nghiệp và Môi trường", UnitKind.DEPARTMENT),
    ("SXD", "Sở Xây dựng", UnitKind.DEPARTMENT),
    ("SYT", "Sở Y tế", UnitKind.DEPARTMENT),
    ("SGDDT", "Sở Giáo dục và Đào tạo", UnitKind.DEPARTMENT),
    ("CA", "Công an {province}", UnitKind.DEPARTMENT),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công", UnitKind.SERVICE_CENTRE),
    ("DIENLUC", "Công ty Điện lực {short}", UnitKind.UTILITY),
    ("NUOCSACH", "Công ty CP Nước sạch {short}", UnitKind.UTILITY),
)

# Province-wide rules (topic code, kind or None for any, unit code prefix); everything else
# falls back to the People's Committee of the item's commune (domain.routing.choose_unit).
# A rule for any kind never takes a khiếu nại or tố cáo (services.routing.HEAD_ONLY_KINDS): a
# denunciation of a ward officer about a procedure goes to the ward's People's Committee, whose
# chairman manages that officer, not to the public-service centre or the power company.
RULES: tuple[tuple[str, Kind | None, str], ...] = (
    ("moi-truong", Kind.PETITION, "SNNMT"),
    ("dien-nuoc", None, "DIENLUC"),
    ("thu-tuc-hanh-chinh", None, "TTPVHCC"),
    ("y-te", Kind.PETITION, "SYT"),
    ("giao-duc", Kind.PETITION, "SGDDT"),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    unit_name: str


@dataclass
class DemoSummary:
    """What ``load_demo`` did; ``loaded`` is False when the database was not empty."""

    loaded: bool
    province_name: str = ""
    communes: int = 0
    villages: int = 0
    topics: int = 0
    units: int = 0
    rules: int = 0
    items: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)


def database_is_empty() -> bool:
    """True when there is no feedback item and no account: the only state the demo loads into."""
    return not db.session.scalar(select(func.count()).select_from(Feedback)) and not db.session.scalar(
        select(func.count()).select_from(User)
    )


def load_demo(now: datetime, province_code: str = DEMO_PROVINCE_CODE, *, items: int = DEMO_ITEMS,
              progress: Callable[[int], None] | None = None) -> DemoSummary:
    """Load the demo directory and accounts for ``province_code``, then ``items`` feedback items
    of the last 12 months handled through the real services (``demo_items.load_items``, which
    calls ``progress`` after each item); commits.

    Runs only into an empty database (``database_is_empty``): otherwise returns
    ``DemoSummary(loaded=False)`` and writes nothing, so real data is never mixed with demo
    data. Idempotent: every row is found by its code before being created, so a second load adds
    nothing (a load interrupted after the accounts is not resumed: the database is no longer empty). Raises ``UnknownProvince`` for an
    unknown code. The accounts' passwords are in the summary (and public: demo only).
    """
    code = normalize_province_code(province_code)
    if not database_is_empty():
        return DemoSummary(loaded=False)
    try:
        return _load(now, code, items, progress)
    except BaseException:
        db.session.rollback()
        raise


def _load(now: datetime, code: str, items: int, progress: Callable[[int], None] | None) -> DemoSummary:
    import_provinces(code)
    province = db.session.scalars(select(Locality).where(Locality.code == code)).one()
    communes = list(db.session.scalars(
        select(Locality).where(Locality.parent_id == province.id, Locality.level == LocalityLevel.COMMUNE)
        .order_by(Locality.code)
    ))
    villages = [village for commune in communes for village in demo_villages(commune)]
    # villages an administrator already imported keep their real names
    taken = localities_by_code(v.code for v in villages)
    save_villages([v for v in villages if v.code not in taken])
    topics = _load_topics()
    units = _load_units(province, communes)
    rules = _load_rules(province, topics, units, now)
    db.session.commit()
    accounts = _load_accounts(province, communes[0], units, now)
    made = load_items(now, communes, count=items, progress=progress)
    return DemoSummary(
        loaded=True,
        province_name=province.name,
        communes=len(communes),
        villages=VILLAGES_PER_COMMUNE * len(communes),
        topics=len(topics),
        units=len(units),
        rules=len(rules),
        items=made,
        accounts=accounts,
    )


def demo_villages(commune: Locality) -> list[VillageRow]:
    """Three villages of ``commune``, coded "<commune code>-001".. and named "Thôn 1" or "Khu phố 1".."""
    kind = VILLAGE_KIND.get(commune.kind, DEFAULT_VILLAGE_KIND)
    remote = commune.kind in REMOTE_KINDS or commune.code in REMOTE_COMMUNES
    return [
        VillageRow(code=f"{commune.code}-{n:03d}", name=f"{kind.capitalize()} {n}", kind=kind,
                   commune_code=commune.code, remote=remote)
        for n in range(1, VILLAGES_PER_COMMUNE + 1)
    ]


def _load_topics() -> dict[str, Topic]:
    existing = {t.code: t for t in db.session.scalars(select(Topic).where(Topic.code.in_([t[0] for t in TOPICS])))}
    for position, (code, name, parent_code, kind, days) in enumerate(TOPICS):
        if code in existing:
            continue
        parent = existing[parent_code] if parent_code else None
        topic = Topic(code=code, name=name, name_en=TOPIC_NAMES_EN.get(code), parent=parent,
                      depth=parent.depth + 1 if parent else 1, position=position, default_kind=kind,
                      resolution_working_days=days)
        db.session.add(topic)
        db.session.flush()
        topic.path = child_path(parent.path if parent else None, topic.id)
        existing[code] = topic
    return existing


def _load_units(province: Locality, communes: list[Locality]) -> dict[str, Unit]:
    """The units by code: UBND and Front committee of the province and of every commune, and
    the provincial bodies of PROVINCIAL_UNITS."""
    existing = {u.code: u for u in db.session.scalars(select(Unit))}

    def unit(code: str, name: str, kind: UnitKind, locality: Locality, parent: Unit | None) -> Unit:
        found = existing.get(code)
        if found is None:
            found = Unit(code=code, name=name, kind=kind, locality=locality, parent=parent,
                         email=f"{code.lower()}@{EMAIL_DOMAIN}", active=True)
            db.session.add(found)
            existing[code] = found
        return found

    names = {"province": province.name[:1].lower() + province.name[1:], "short": short_name(province)}
    committee = unit(f"UBND-{province.code}", f"UBND {province.name}", UnitKind.PROVINCE_COMMITTEE, province, None)
    front = unit(f"MTTQ-{province.code}", f"Ủy ban MTTQ Việt Nam {province.name}", UnitKind.FRONT_COMMITTEE,
                 province, None)
    wanted = [committee, front]
    for prefix, name, kind in PROVINCIAL_UNITS:
        # utilities are companies, not departments, but the province's committee is where an
        # unanswered item escalates to (DESIGN.md §5), so it is their parent here too
        wanted.append(unit(f"{prefix}-{province.code}", name.format(**names), kind, province, committee))
    for commune in communes:
        wanted.append(unit(f"UBND-{commune.code}", f"UBND {commune.name}", UnitKind.COMMUNE_COMMITTEE, commune,
                           committee))
        wanted.append(unit(f"MTTQ-{commune.code}", f"Ủy ban MTTQ Việt Nam {commune.name}",
                           UnitKind.FRONT_COMMITTEE, commune, front))
    db.session.flush()
    return {u.code: u for u in wanted}


def _load_rules(province: Locality, topics: dict[str, Topic], units: dict[str, Unit],
                now: datetime) -> list[RoutingRule]:
    rules = []
    for topic_code, kind, unit_prefix in RULES:
        topic, unit = topics[topic_code], units[f"{unit_prefix}-{province.code}"]
        rule = db.session.scalars(select(RoutingRule).where(
            RoutingRule.locality_id == province.id, RoutingRule.topic_id == topic.id,
            RoutingRule.kind == kind if kind is not None else RoutingRule.kind.is_(None),
            RoutingRule.unit_id == unit.id,
        )).first()
        if rule is None:
            rule = RoutingRule(locality=province, topic=topic, kind=kind, unit=unit, created_at=now,
                               note="Dữ liệu mẫu")
            db.session.add(rule)
        rules.append(rule)
    db.session.flush()
    return rules


# Published in README.md: for a first look only, never for a real deployment.
DEMO_PASSWORDS = {
    Role.ADMIN: "admin-demo-2026",
    Role.OFFICER: "canbo-demo-2026",
    Role.UNIT_HEAD: "lanhdao-demo-2026",
    Role.FRONT_MONITOR: "mttq-demo-2026",
}


def demo_accounts_in_use() -> list[DemoAccount]:
    """Accounts whose password is still the published demo password of their role, to be
    printed at each Quick start; an account whose password was changed is not listed."""
    accounts = []
    for user in db.session.scalars(select(User).order_by(User.id)):
        for membership in user.memberships:
            password = DEMO_PASSWORDS.get(membership.role)
            if password and verify_password(user.password_hash, password):
                unit_name = membership.unit.name if membership.unit else ""
                accounts.append(DemoAccount(user.username, password, membership.role, unit_name))
                break
    return accounts


def _load_accounts(province: Locality, commune: Locality, units: dict[str, Unit], now: datetime) -> list[DemoAccount]:
    """Admin, an officer and the head of the first commune's UBND (Phường Hà Tu in Quảng Ninh),
    and a monitor of the provincial Front committee. Each is created unless its username exists."""
    slug = commune_slug(commune)
    committee = units[f"UBND-{commune.code}"]
    front = units[f"MTTQ-{province.code}"]
    wanted = [
        ("admin", DEMO_PASSWORDS[Role.ADMIN], Role.ADMIN, None, None, "Quản trị hệ thống"),
        (f"canbo.{slug}", DEMO_PASSWORDS[Role.OFFICER], Role.OFFICER, committee, None, f"Cán bộ {committee.name}"),
        (f"lanhdao.{slug}", DEMO_PASSWORDS[Role.UNIT_HEAD], Role.UNIT_HEAD, committee, None,
         f"Lãnh đạo {committee.name}"),
        ("mttq.tinh", DEMO_PASSWORDS[Role.FRONT_MONITOR], Role.FRONT_MONITOR, front, province,
         f"Cán bộ {front.name}"),
    ]
    accounts = []
    for username, password, role, unit, territory, full_name in wanted:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(username, role, password=password, now=now, unit_code=unit.code if unit else None,
                        territory_code=territory.code if territory else None, full_name=full_name)
        accounts.append(DemoAccount(username, password, role, unit.name if unit else ""))
    return accounts


def short_name(province: Locality) -> str:
    """"Quảng Ninh" for "Thành phố Quảng Ninh": the name without its administrative prefix."""
    for prefix in ("Thành phố ", "Tỉnh "):
        if province.name.startswith(prefix):
            return province.name.removeprefix(prefix)
    return province.name


def commune_slug(commune: Locality) -> str:
    """"hatu" for "Phường Hà Tu": the folded name without its kind, spaces removed (for usernames)."""
    folded, kind = fold(commune.name), fold(commune.kind)
    return folded.removeprefix(f"{kind} ").replace(" ", "")
