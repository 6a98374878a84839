/* When the session ends (signed out elsewhere, idle too long, display sign-in revoked), the
   server answers Dash's requests with 401: go to the sign-in page instead of showing old data. */
(function () {
  const original = window.fetch;
  let leaving = false;
  window.fetch = function (resource, init) {
    return original.call(this, resource, init).then(function (response) {
      const url = String((resource && resource.url) || resource);
      if (response.status === 401 && url.indexOf('/_dash-') !== -1 && !leaving) {
        leaving = true;
        const next = window.location.pathname + window.location.search;
        window.location.assign('/login?next=' + encodeURIComponent(next));
      }
      return response;
    });
  };
})();
