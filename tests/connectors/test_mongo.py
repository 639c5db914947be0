def test_smoke(mongo_url):
    import pymongo

    c = pymongo.MongoClient(mongo_url)
    assert c.admin.command("ping")["ok"] == 1
    c.close()
