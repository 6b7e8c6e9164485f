"""Personal data at rest (portal.data.pii): what is stored is checked with plain SQL and
opened with the test's own key bytes (tests/pii_keys.py), not through the module."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import insert, text
from sqlmodel import Session, create_engine, select

from portal.data import pii
from portal.data import tables as t
from portal.data.db import make_engine
from portal.data.importers.pipeline import DatabaseChecks
from portal.data.schema import migrate, upgrade_to_head
from portal.data.secret_files import read_or_create_secret
from portal.domain.clock import utc_now
from tests import pii_keys
from tests.data.helpers import new_engine

ALICE = dict(customer_no="A1", name="周一", id_number="11010519900101001X", birth_date=date(1990, 1, 1),
             gender="M", city="北京", phone="13800001111", address="北京市", payout_bank="招商银行",
             payout_account="6225880012345678", preferred_language="zh")
BOB = dict(ALICE, customer_no="B2", name="吴二", id_number="110105199202020022", phone="13900002222",
           payout_account="")
PERSONAL = ("id_number", "phone", "payout_account")


def stored_rows(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT customer_no, id_number, phone, payout_account, id_number_hash, phone_hash FROM customer")
        ).mappings().all()
    return {row["customer_no"]: dict(row) for row in rows}


def key_env(*entries: tuple[str, bytes]) -> str:
    return ",".join(f"{key_id}:{base64.b64encode(key).decode()}" for key_id, key in entries)


@pytest.fixture
def engine(tmp_path):
    engine = new_engine(tmp_path / "pii.db")
    yield engine
    engine.dispose()


def test_orm_and_bulk_inserts_store_ciphertext_and_keyed_hashes(engine):
    with Session(engine) as session:
        session.add(t.Customer(**ALICE))  # ORM
        session.execute(insert(t.Customer), [BOB])  # Core, as the bulk generators write
        session.commit()
        read = {c.customer_no: c for c in session.exec(select(t.Customer))}
    stored = stored_rows(engine)
    for person in (ALICE, BOB):
        row = stored[person["customer_no"]]
        for column in PERSONAL:
            if person[column]:
                assert row[column] != person[column] and person[column] not in row[column]
                assert pii_keys.decrypt(column, row[column]) == person[column]
            else:
                assert row[column] == ""  # nothing to hide
            assert getattr(read[person["customer_no"]], column) == person[column]  # clear in Python
        assert row["id_number_hash"] == pii_keys.keyed_hash("id_number", person["id_number"].upper())
        assert row["phone_hash"] == pii_keys.keyed_hash("phone", person["phone"])
    # Two encryptions of one value differ (random nonce): equal values do not show.
    with Session(engine) as session:
        session.add(t.Customer(**dict(ALICE, customer_no="A3")))
        session.commit()
    assert stored_rows(engine)["A3"]["phone"] != stored["A1"]["phone"]


def test_a_value_moved_to_another_column_or_altered_does_not_decrypt(engine):
    with Session(engine) as session:
        session.add(t.Customer(**ALICE))
        session.commit()
    row = stored_rows(engine)["A1"]
    with engine.begin() as connection:  # the phone's ciphertext pasted into the account column
        connection.execute(text("UPDATE customer SET payout_account = :p"), {"p": row["phone"]})
    with Session(engine) as session, pytest.raises(pii.PiiKeyError, match="another column"):
        session.exec(select(t.Customer)).one()
    with engine.begin() as connection:
        connection.execute(text("UPDATE customer SET payout_account = '6225880012345678'"))  # clear text
    with Session(engine) as session, pytest.raises(pii.PiiKeyError, match="not encrypted") as raised:
        session.exec(select(t.Customer)).one()
    assert "6225880012345678" not in str(raised.value)  # errors never quote the value


def test_orm_update_keeps_the_hash_current(engine):
    with Session(engine) as session:
        customer = t.Customer(**ALICE)
        session.add(customer)
        session.commit()
        customer.phone = "13700009999"
        session.add(customer)
        session.commit()
    assert stored_rows(engine)["A1"]["phone_hash"] == pii_keys.keyed_hash("phone", "13700009999")


def test_importer_finds_a_customer_by_the_hash_of_the_id_number(engine):
    with Session(engine) as session:
        session.add(t.Customer(**ALICE))
        session.commit()

    class Record:  # what the database checks read of a parsed record
        product_code, policy_no, where, kind, customer_exists = "CL101", "P-NEW", 7, "line", False

        class customer:
            customer_no = "OTHER"
            id_number = ALICE["id_number"]

    errors = []
    with Session(engine) as session:
        DatabaseChecks(session, "life_core", "life", "line").check(session, [Record], errors)
    # Found only through id_number_hash: the stored ID number is ciphertext.
    assert [e.code for e in errors if e.code.startswith("id_number")] == ["id_number_in_use"]


def test_rotation_old_values_still_read_then_rotate_moves_every_value_to_the_new_key(engine, monkeypatch):
    new_key = bytes(range(200, 232))
    with Session(engine) as session:
        session.add_all([t.Customer(**ALICE), t.Customer(**BOB)])
        session.commit()
    monkeypatch.setenv("PORTAL_DATA_KEY", key_env(("t2", new_key), ("t1", pii_keys.DATA_KEY)))
    with Session(engine) as session:  # old rows read under the new configuration
        assert {c.phone for c in session.exec(select(t.Customer))} == {ALICE["phone"], BOB["phone"]}
        session.add(t.Customer(**dict(ALICE, customer_no="A3")))  # new rows use the current key
        session.commit()
    assert pii_keys.decrypt("phone", stored_rows(engine)["A3"]["phone"], new_key, "t2") == ALICE["phone"]
    before = stored_rows(engine)

    assert pii.rotate(engine, size=1) == 2  # A1 and B2; A3 is already current

    after = stored_rows(engine)
    assert after["A3"] == before["A3"]
    for person in (ALICE, BOB):
        row = after[person["customer_no"]]
        for column in PERSONAL:
            if person[column]:
                assert pii_keys.decrypt(column, row[column], new_key, "t2") == person[column]
        assert row["id_number_hash"] == before[person["customer_no"]]["id_number_hash"]
    monkeypatch.setenv("PORTAL_DATA_KEY", key_env(("t2", new_key)))  # the old key retired
    with Session(engine) as session:
        assert {c.id_number for c in session.exec(select(t.Customer))} == {ALICE["id_number"], BOB["id_number"]}


def test_rotation_reseals_previous_details_kept_on_requests(engine, monkeypatch):
    sealed = pii.seal_fields({"phone": "13800001111", "payout_bank": "招商银行"})
    assert pii_keys.decrypt("phone", sealed["phone"]) == "13800001111" and sealed["payout_bank"] == "招商银行"
    with Session(engine) as session:
        session.add(t.Customer(**ALICE))
        session.flush()
        session.add(t.UserAccount(username="a", password_hash="x", role="customer", customer_id=1))
        session.flush()
        session.add(t.ServiceRequest(
            request_no="R1", customer_id=1, kind="update_profile", status="completed", idempotency_key="k",
            fingerprint="f", details=json.dumps({"previous": sealed}), submitted_at=utc_now(), submitted_by=1,
        ))
        session.commit()
    new_key = bytes(range(50, 82))
    monkeypatch.setenv("PORTAL_DATA_KEY", key_env(("t2", new_key), ("t1", pii_keys.DATA_KEY)))
    pii.rotate(engine)
    with engine.connect() as connection:
        details = json.loads(connection.execute(text("SELECT details FROM service_request")).scalar_one())
    assert pii_keys.decrypt("phone", details["previous"]["phone"], new_key, "t2") == "13800001111"
    assert details["previous"]["payout_bank"] == "招商银行"


@pytest.mark.parametrize(
    "data, hash_, message",
    [
        ("k1:" + base64.b64encode(b"short").decode(), pii_keys.HASH_KEY_ENV, "32 bytes"),
        ("no-id-here", pii_keys.HASH_KEY_ENV, "<id>:<base64 key>"),
        ("k1:!!!", pii_keys.HASH_KEY_ENV, "not base64"),
        (pii_keys.DATA_KEY_ENV + "," + pii_keys.DATA_KEY_ENV, pii_keys.HASH_KEY_ENV, "twice"),
        (pii_keys.DATA_KEY_ENV, "", "PORTAL_DATA_HASH_KEY must be set"),
    ],
)
def test_bad_key_configuration_is_refused(monkeypatch, data, hash_, message):
    monkeypatch.setenv("PORTAL_DATA_KEY", data)
    monkeypatch.setenv("PORTAL_DATA_HASH_KEY", hash_)
    with pytest.raises(pii.PiiKeyError, match=message):
        pii.keyring()


def test_without_configuration_keys_are_generated_once_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_DATA_KEY")
    monkeypatch.delenv("PORTAL_DATA_HASH_KEY")
    monkeypatch.setattr(pii, "SECRETS_DIR", tmp_path / ".secrets")
    (tmp_path / ".secrets").mkdir(mode=0o755)  # left open by an older version: tightened
    old_umask = os.umask(0o022)
    try:
        ring = pii.keyring()
    finally:
        os.umask(old_umask)
    secrets_dir = tmp_path / ".secrets"
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    for name in ("data_key", "hash_key"):
        assert stat.S_IMODE((secrets_dir / name).stat().st_mode) == 0o600
    key_id, encoded = (secrets_dir / "data_key").read_text().strip().split(":")
    assert key_id == "k1" == ring.current_id
    stored = ring.encrypt("phone", "13800001111")
    assert pii_keys.decrypt("phone", stored, base64.b64decode(encoded), "k1") == "13800001111"
    pii._keyring_for.cache_clear()
    assert pii.keyring().encrypt("phone", "x") and pii.keyring().decrypt("phone", stored) == "13800001111"


def test_racing_processes_share_one_generated_secret(tmp_path):
    path, results = tmp_path / "s" / "secret", []
    counter = iter(range(100))
    threads = [
        threading.Thread(target=lambda: results.append(read_or_create_secret(path, lambda: f"v{next(counter)}")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0] == path.read_text().strip()
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret"]  # no temporary left


def test_the_sqlite_file_and_its_wal_and_shm_are_owner_only(tmp_path):
    old_umask = os.umask(0o022)  # a umask that would make new files world-readable
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'modes.db'}")
        upgrade_to_head(engine)
        with engine.connect() as connection:  # open: the -wal and -shm files exist now
            connection.execute(text("SELECT COUNT(*) FROM customer")).scalar()
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert modes == {"modes.db": 0o600, "modes.db-wal": 0o600, "modes.db-shm": 0o600}


def test_an_existing_world_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.db"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- the migration -------------------------------------------------------------------------
CLEAR_ROWS = [
    (1, "A1", ALICE["id_number"], ALICE["phone"], ALICE["payout_account"]),
    (2, "B2", BOB["id_number"], BOB["phone"], ""),
]


def database_at_previous_revision(engine) -> None:
    migrate(engine, "9d33c63eb216")
    with engine.begin() as connection:
        for cid, no, id_number, phone, account in CLEAR_ROWS:
            connection.execute(
                text(
                    "INSERT INTO customer (id, customer_no, name, id_number, birth_date, gender, city, phone, "
                    "address, payout_bank, payout_account, preferred_language) VALUES "
                    "(:id, :no, '某人', :idn, '1990-01-01', 'M', '北京', :phone, '', '', :account, 'zh')"
                ),
                {"id": cid, "no": no, "idn": id_number, "phone": phone, "account": account},
            )


def check_migrated(engine) -> dict[str, dict]:
    stored = stored_rows(engine)
    for _cid, no, id_number, phone, account in CLEAR_ROWS:
        row = stored[no]
        assert row["id_number"] != id_number and pii_keys.decrypt("id_number", row["id_number"]) == id_number
        assert row["phone"] != phone and pii_keys.decrypt("phone", row["phone"]) == phone
        assert (pii_keys.decrypt("payout_account", row["payout_account"]) if account else row["payout_account"]) == account
        assert row["id_number_hash"] == pii_keys.keyed_hash("id_number", id_number.upper())
        assert row["phone_hash"] == pii_keys.keyed_hash("phone", phone)
    return stored


def test_migration_encrypts_clear_rows_leaves_encrypted_ones_and_downgrades_to_clear(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    database_at_previous_revision(engine)

    upgrade_to_head(engine)
    first = check_migrated(engine)
    with Session(engine) as session:  # the app reads them
        assert {c.phone for c in session.exec(select(t.Customer))} == {ALICE["phone"], BOB["phone"]}

    # Back to the previous revision and up again: clear, then encrypted afresh.
    migrate(engine, "9d33c63eb216", down=True)
    with engine.connect() as connection:
        clear = connection.execute(
            text("SELECT id, customer_no, id_number, phone, payout_account FROM customer ORDER BY id")
        ).all()
        columns = {c[1] for c in connection.exec_driver_sql("PRAGMA table_info(customer)")}
    assert [tuple(r) for r in clear] == CLEAR_ROWS
    assert "id_number_hash" not in columns and "phone_hash" not in columns
    upgrade_to_head(engine)
    check_migrated(engine)

    # Running the data step again over encrypted rows changes nothing.
    again = stored_rows(engine)
    with engine.begin() as connection:
        assert pii.each_batch(pii.reseal_batch, connection, size=1, rekey=False) == 0
    assert stored_rows(engine) == again != first  # (fresh nonces after the round trip)
    engine.dispose()


@pytest.mark.postgres
def test_migration_on_postgresql(tmp_path):
    from tests.postgres_url import PG_URL, unreachable_reason

    reason = unreachable_reason()
    if reason:
        pytest.skip(reason)
    schema = f"pii_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        database_at_previous_revision(engine)
        upgrade_to_head(engine)
        check_migrated(engine)
        migrate(engine, "9d33c63eb216", down=True)
        with engine.connect() as connection:
            clear = connection.execute(
                text("SELECT id, customer_no, id_number, phone, payout_account FROM customer ORDER BY id")
            ).all()
        assert [tuple(r) for r in clear] == CLEAR_ROWS
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
