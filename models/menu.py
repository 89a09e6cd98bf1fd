"""User tags behind the per-role menus: which WeChat tag id each role carries (written by `menu push`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, str32, str64


class MenuTag(Base):
    __tablename__ = "menu_tags"
    id: Mapped[intpk]
    role: Mapped[str32] = mapped_column(unique=True)  # member, secretary, office, admin
    menu: Mapped[str32]                               # the conditional menu it sees (admin -> office)
    tag_id: Mapped[int]
    tag_name: Mapped[str64]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<MenuTag {self.role} -> {self.tag_name} ({self.tag_id})>"
