"""The login page: plain HTML in Chinese, no script and no external asset; the browser posts
the form, with the login CSRF token, to ``POST /tasks/login``."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from services.tasks.accounts.demo import DEMO_ACCOUNTS
from shared.identity.sessions import CSRF_FIELD

# No frames (clickjacking), nothing fetched, forms only to ourselves; never cached.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = """
body{font-family:"PingFang SC","Microsoft YaHei",sans-serif;background:#f3f5f8;margin:0}
main{max-width:26rem;margin:6rem auto;background:#fff;padding:2rem 2.5rem;
border-radius:8px;box-shadow:0 2px 10px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 1.5rem;color:#a5161d}
label{display:block;margin:.8rem 0 .3rem;color:#333}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem;
border:1px solid #bbb;border-radius:4px;font-size:1rem}
button{margin-top:1.4rem;width:100%;padding:.65rem;background:#a5161d;color:#fff;border:0;
border-radius:4px;font-size:1rem;cursor:pointer}
.error{background:#fdecea;color:#a5161d;padding:.6rem;border-radius:4px}
.note{color:#666;font-size:.85rem;margin-top:1.2rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin-top:.5rem}
td,th{border:1px solid #ddd;padding:.3rem .4rem;text-align:left}
"""


def _page(body: str, status: int) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>登录 · 督办</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _demo_table() -> str:
    rows = "".join(
        f"<tr><td>{escape(a.login)}</td><td>{escape(a.password)}</td>"
        f"<td>{escape(a.display_name)}</td></tr>"
        for a in DEMO_ACCOUNTS
    )
    return (
        '<div class="note"><strong>演示账户</strong>（duban run --demo；仅供演示）'
        f"<table><tr><th>登录名</th><th>密码</th><th>身份</th></tr>{rows}</table></div>"
    )


def login_page(
    csrf: str | None,
    next_path: str,
    *,
    error: str | None = None,
    status: int = 200,
    demo: bool = False,
) -> HTMLResponse:
    """The form; ``csrf`` None: sessions are not configured, there is nothing to post."""
    parts = ["<h1>督办系统 · 登录</h1>"]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if csrf is None:
        parts.append('<p class="error">未配置会话密钥（DUBAN_SESSION_KEY），暂不能登录。</p>')
    else:
        parts.append(
            '<form method="post" action="/tasks/login" autocomplete="off">'
            f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'
            f'<input type="hidden" name="next" value="{escape(next_path)}">'
            '<label for="login">登录名</label>'
            '<input type="text" id="login" name="login" required maxlength="40" autofocus>'
            '<label for="password">密码</label>'
            '<input type="password" id="password" name="password" required>'
            '<button type="submit">登录</button></form>'
        )
    parts.append(
        '<p class="note">连续输错密码 5 次账户将暂时锁定。忘记密码请联系系统管理员重置。</p>'
    )
    if demo:
        parts.append(_demo_table())
    return _page("".join(parts), status)


def logged_in_page(name: str, role_label: str, csrf: str) -> HTMLResponse:
    return _page(
        "<h1>督办系统</h1>"
        f"<p>您已登录：{escape(name)}（{escape(role_label)}）</p>"
        '<p><a href="/reporting/dashboard">进入督查工作台</a></p>'
        '<form method="post" action="/tasks/logout">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'
        '<button type="submit">退出登录</button></form>',
        200,
    )
