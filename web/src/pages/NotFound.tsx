import { Link } from "react-router";

export function NotFoundPage() {
  return (
    <section className="page narrow" aria-labelledby="notfound-title">
      <h1 id="notfound-title">Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the videos</Link>.
      </p>
    </section>
  );
}
