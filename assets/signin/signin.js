/* The sign-in page (/login): posts the form as JSON to /auth/login and, once signed in, goes
   to the page the visitor asked for (a path of this site only). The session cookie is
   HttpOnly; the CSRF token the answer carries is kept for this tab's writes. Not one of
   Dash's assets (dashboard/app.py ignores assets/signin/). */
(function () {
  "use strict";
  const form = document.getElementById("signin");
  const message = document.getElementById("signin-message");

  function nextPage() {
    const asked = new URLSearchParams(window.location.search).get("next") || "/wall";
    // Only a page of this site, as the browser itself reads the address (it drops tabs and
    // new lines, so "/\t/other.example" is "//other.example"): never another origin.
    let url;
    try {
      url = new URL(asked, window.location.origin);
    } catch (e) {
      return "/wall";
    }
    return url.origin === window.location.origin ? url.pathname + url.search + url.hash : "/wall";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const answer = await fetch("/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ username: form.username.value, password: form.password.value }),
      });
      if (answer.ok) {
        const body = await answer.json();
        window.sessionStorage.setItem("towncc.csrf", body.csrf_token);
        window.location.assign(nextPage());
        return;
      }
      const key = answer.status === 429 ? "locked" : answer.status === 401 ? "wrong" : "failed";
      message.textContent = form.dataset[key];
    } catch (e) {
      message.textContent = form.dataset.failed;
    } finally {
      button.disabled = false;
    }
  });
})();
