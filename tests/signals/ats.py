"""A local world of company websites and job boards for the signals tests and benchmark.

Each company has a home page (linking to its ATS board, its careers page, or nothing), maybe a
careers page (JobPosting JSON-LD, job links, or a board link), and a list of open jobs that a
test changes between collections to plant hiring surges. ``feeds.localhost`` answers each
ATS's public feed path in that vendor's published format; the bodies are built here from the
format's documented field names (our own fixtures, not copies of real feeds).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "technographics"))
from sites import Reply, Request, SiteServer

ATS = (
    "greenhouse",
    "lever",
    "ashby",
    "workable",
    "smartrecruiters",
    "personio",
    "recruitee",
    "teamtailor",
)

BOARD_LINK = {
    "greenhouse": "https://boards.greenhouse.io/{board}",
    "lever": "https://jobs.lever.co/{board}",
    "ashby": "https://jobs.ashbyhq.com/{board}",
    "workable": "https://apply.workable.com/{board}/",
    "smartrecruiters": "https://jobs.smartrecruiters.com/{board}",
    "personio": "https://{board}.jobs.personio.de/",
    "recruitee": "https://{board}.recruitee.com/",
    "teamtailor": "https://{board}.teamtailor.com/jobs",
}


@dataclass
class Job:
    id: str
    title: str
    posted: date
    department: str = "General"


@dataclass
class Company:
    """How a company publishes its jobs. ``mode``: ``board`` (home links to the ATS board),
    ``careers_board`` (only the careers page names the board), ``jsonld`` (careers page with
    JSON-LD), ``links`` (careers page listing job links), ``none`` (no jobs anywhere)."""

    name: str
    mode: str = "board"
    ats: str = "greenhouse"
    jobs: list[Job] = field(default_factory=list)
    tech_html: str = ""
    home_status: int = 200
    feed_override: tuple[str, str] | None = None  # (body, content type) served instead
    careers_override: str | None = None
    team_html: str | None = None  # served at /about/leadership, linked from the home page

    @property
    def board(self) -> str:
        return self.name.replace(".", "-")


def _iso(day: date) -> str:
    return datetime.combine(day, time(9, 30), tzinfo=timezone.utc).isoformat()


def feed_body(ats: str, company: Company) -> tuple[str, str]:
    """The feed ``ats`` would serve for ``company``'s open jobs, with its content type."""
    jobs = company.jobs
    if ats == "greenhouse":
        data: object = {
            "jobs": [
                {
                    "id": int(j.id),
                    "internal_job_id": 1000 + int(j.id),
                    "title": j.title,
                    "updated_at": _iso(j.posted),
                    "first_published": _iso(j.posted),
                    "location": {"name": "Remote"},
                    "absolute_url": f"https://boards.greenhouse.io/{company.board}/jobs/{j.id}",
                }
                for j in jobs
            ],
            "meta": {"total": len(jobs)},
        }
    elif ats == "lever":
        data = [
            {
                "id": f"lv-{j.id}",
                "text": j.title,
                "createdAt": int(datetime.combine(j.posted, time(12), timezone.utc).timestamp())
                * 1000,
                "categories": {"team": j.department, "location": "Berlin", "commitment": "FT"},
                "hostedUrl": f"https://jobs.lever.co/{company.board}/lv-{j.id}",
            }
            for j in jobs
        ]
    elif ats == "ashby":
        data = {
            "apiVersion": "1",
            "jobs": [
                {
                    "id": f"ab-{j.id}",
                    "title": j.title,
                    "department": j.department,
                    "team": j.department,
                    "isListed": True,
                    "publishedAt": _iso(j.posted),
                    "jobUrl": f"https://jobs.ashbyhq.com/{company.board}/ab-{j.id}",
                }
                for j in jobs
            ],
        }
    elif ats == "workable":
        data = {
            "name": company.name,
            "description": None,
            "jobs": [
                {
                    "title": j.title,
                    "shortcode": f"WK{j.id}",
                    "department": j.department,
                    "published_on": j.posted.isoformat(),
                    "url": f"https://apply.workable.com/j/WK{j.id}",
                }
                for j in jobs
            ],
        }
    elif ats == "smartrecruiters":
        data = {
            "offset": 0,
            "limit": 100,
            "totalFound": len(jobs),
            "content": [
                {
                    "id": f"sr{j.id}",
                    "name": j.title,
                    "releasedDate": _iso(j.posted).replace("+00:00", "Z"),
                    "department": {"label": j.department},
                }
                for j in jobs
            ],
        }
    elif ats == "recruitee":
        data = {
            "offers": [
                {
                    "id": int(j.id),
                    "slug": f"job-{j.id}",
                    "title": j.title,
                    "department": j.department,
                    "status": "published",
                    "published_at": f"{j.posted.isoformat()} 08:00:00 UTC",
                }
                for j in jobs
            ]
        }
    elif ats == "personio":
        rows = "".join(
            f"<position><id>{j.id}</id><office>Munich</office>"
            f"<department>{escape(j.department)}</department><name>{escape(j.title)}</name>"
            f"<createdAt>{_iso(j.posted)}</createdAt></position>"
            for j in jobs
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><workzag-jobs>{rows}</workzag-jobs>',
            "application/xml",
        )
    elif ats == "teamtailor":
        items = "".join(
            f"<item><title>{escape(j.title)}</title>"
            f"<link>https://{company.board}.teamtailor.com/jobs/{j.id}</link>"
            f"<guid>tt-{j.id}</guid><pubDate>"
            f"{format_datetime(datetime.combine(j.posted, time(7), timezone.utc))}</pubDate></item>"
            for j in jobs
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>{company.name}</title>'
            f"{items}</channel></rss>",
            "application/rss+xml; charset=utf-8",  # what Teamtailor serves its feed as
        )
    else:
        raise ValueError(ats)
    return json.dumps(data), "application/json"


def jsonld_page(company: Company) -> str:
    graph = [
        {
            "@type": "JobPosting",
            "title": j.title,
            "datePosted": j.posted.isoformat(),
            "identifier": {"@type": "PropertyValue", "name": company.name, "value": f"ld-{j.id}"},
            "hiringOrganization": {"@type": "Organization", "name": company.name},
        }
        for j in company.jobs
    ]
    block = json.dumps({"@context": "https://schema.org", "@graph": graph})
    return (
        "<html><head><title>Careers</title>"
        f'<script type="application/ld+json">{block}</script></head>'
        "<body><h1>Open roles</h1></body></html>"
    )


def links_page(company: Company) -> str:
    rows = "".join(f'<li><a href="/careers/{j.id}-role">{j.title}</a></li>' for j in company.jobs)
    return f"<html><body><h1>Join us</h1><ul>{rows}</ul><a href='/'>Home</a></body></html>"


def home_page(company: Company) -> str:
    links = ""
    if company.mode == "board":
        links = f'<a href="{BOARD_LINK[company.ats].format(board=company.board)}">Jobs</a>'
    elif company.mode in ("jsonld", "links", "careers_board"):
        links = '<a href="/about">About</a> <a href="/careers">Careers</a>'
    if company.team_html is not None:
        links += ' <a href="/about/leadership#top">Leadership</a>'
    return (
        f"<!doctype html><html><head><title>{company.name}</title>{company.tech_html}</head>"
        f"<body><h1>{company.name}</h1>{links}</body></html>"
    )


class World:
    """Companies served on one local port: ``<name>`` sites plus ``feeds.localhost``."""

    def __init__(self, companies: list[Company] | None = None) -> None:
        self.companies: dict[str, Company] = {c.name: c for c in companies or []}
        self.server = SiteServer(self._delayed)
        self.delay = 0.0  # seconds before every reply (slow sites, for interrupting a run)

    def __enter__(self) -> World:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def port(self) -> int:
        return self.server.port

    def website(self, name: str) -> str:
        return f"http://{name}:{self.port}/"

    def feeds(self) -> dict[str, str]:
        return {ats: f"http://feeds.localhost:{self.port}/{ats}/{{board}}" for ats in ATS}

    def _delayed(self, req: Request) -> Reply:
        reply = self.handle(req)
        reply.delay = self.delay
        return reply

    def handle(self, req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(status=404, body="none", content_type="text/plain")
        if req.host.endswith("feeds.localhost"):  # feeds.localhost, or <ats>.feeds.localhost
            _, ats, board = req.path.split("/", 2)
            company = next((c for c in self.companies.values() if c.board == board), None)
            if company is None or company.ats != ats:
                return Reply(status=404, body="no such board")
            if company.feed_override is not None:
                body, ctype = company.feed_override
                return Reply(body=body, content_type=ctype)
            body, ctype = feed_body(ats, company)
            return Reply(body=body, content_type=ctype)
        company = self.companies.get(req.host)
        if company is None:
            return Reply(status=404, body="<html>not found</html>")
        if req.path == "/":
            if company.home_status != 200:
                return Reply(status=company.home_status, body="<html>down</html>")
            return Reply(body=home_page(company))
        if req.path == "/about/leadership" and company.team_html is not None:
            return Reply(body=company.team_html)
        if req.path == "/careers":
            if company.careers_override is not None:
                return Reply(body=company.careers_override)
            if company.mode == "jsonld":
                return Reply(body=jsonld_page(company))
            if company.mode == "links":
                return Reply(body=links_page(company))
            if company.mode == "careers_board":
                link = BOARD_LINK[company.ats].format(board=company.board)
                return Reply(body=f'<html><body><a href="{link}">See open roles</a></body></html>')
        return Reply(status=404, body="<html>not found</html>")
